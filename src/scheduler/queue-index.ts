import type { Job } from '../jobs/job.ts';

/** Jobs with equal shapes are interchangeable for placement feasibility. */
function shapeKey(j: Job): string {
  return `${j.cpu}/${j.memory}/${j.gpus}/${j.milli}/${j.models ? j.models.join('|') : ''}${j.mig ? `/${j.mig}` : ''}`;
}

/**
 * The scheduler core's queue: queued jobs in admission order (requeued jobs back in submit order),
 * and the placement shape of each with a count per shape, so a pass can stop once every queued
 * shape is known not to fit. Started jobs leave lazily: `compact()` after a pass.
 */
export class QueueIndex {
  private items: Job[] = [];
  private readonly shapeOfJob = new Map<Job, string>();
  private readonly counts = new Map<string, number>();

  /** Queued jobs (and, between a start and `compact()`, the started ones). The array is replaced, never mutated in place by callers. */
  get jobs(): readonly Job[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  /** Distinct shapes among queued jobs. */
  get shapeCount(): number {
    return this.counts.size;
  }

  shapeOf(j: Job): string {
    return this.shapeOfJob.get(j)!;
  }

  /** Appends an admitted job. */
  push(j: Job): void {
    this.items.push(j);
    this.addShape(j);
  }

  /** Puts a stopped job back in submit order, after jobs submitted at the same time (Kueue requeues by creation time). */
  requeue(j: Job): void {
    let at = this.items.findIndex((q) => q.submit > j.submit);
    if (at < 0) at = this.items.length;
    this.items.splice(at, 0, j);
    this.addShape(j);
  }

  /** A job left the queue by starting: its shape no longer counts; the array entry goes at `compact()`. */
  started(j: Job): void {
    this.dropShape(j);
  }

  /** Removes a queued job now (cancelled, rejected). */
  remove(j: Job): void {
    this.items = this.items.filter((q) => q !== j);
    this.dropShape(j);
  }

  /** Drops the entries of jobs that are no longer queued. */
  compact(): void {
    this.items = this.items.filter((j) => j.state === 'queued');
  }

  private addShape(j: Job): void {
    const shape = shapeKey(j);
    this.shapeOfJob.set(j, shape);
    this.counts.set(shape, (this.counts.get(shape) ?? 0) + 1);
  }

  private dropShape(j: Job): void {
    const shape = this.shapeOfJob.get(j)!;
    this.shapeOfJob.delete(j);
    const n = this.counts.get(shape)! - 1;
    if (n === 0) this.counts.delete(shape);
    else this.counts.set(shape, n);
  }
}
