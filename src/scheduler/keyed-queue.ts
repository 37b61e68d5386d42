import type { Job, JobView } from '../jobs/job.ts';
import type { SchedulerView } from './policy.ts';

/** A sort key over queued jobs (`SchedulerView.queuedBy`): a pure function of what a job keeps while queued. */
export type QueueKey = (j: JobView) => number;

const MAX_LEVEL = 32;

/** An entry of a `KeyedQueue`: one queued job under one ticket, with its key read when it entered. */
class Entry {
  gone = false;
  constructor(
    readonly job: Job | undefined,
    readonly key: number,
    readonly submit: number,
    readonly ticket: number,
    /** The next entry at each level of the skip list (level 0 links every entry). */
    readonly next: (Entry | undefined)[],
  ) {}
}

/** Whether entry `a` comes before `b`: by key, then queue order (submit, ticket). */
function before(a: Entry, b: Entry): boolean {
  return a.key !== b.key ? a.key < b.key : a.submit !== b.submit ? a.submit < b.submit : a.ticket < b.ticket;
}

/**
 * Queued jobs in ascending order of a key, ties in queue order ((submit, ticket), valid while the
 * queue is in submit order), as a skip list: O(log n) expected to enter or leave, O(1) a step to
 * read. A job that leaves is unlinked at once but its entry keeps its level-0 `next`, so an
 * iteration standing on it goes on to what followed it (a scheduling pass starting the jobs it
 * read). The levels are drawn from a fixed xorshift stream: they shape the list, never its order.
 */
export class KeyedQueue {
  private readonly head = new Entry(undefined, 0, 0, 0, new Array<Entry | undefined>(MAX_LEVEL).fill(undefined));
  private level = 1;
  private seed = 0x9e3779b9;
  private readonly entryOf = new Map<Job, Entry>();
  /** `insert`'s and `remove`'s path, reused. */
  private readonly path: Entry[] = new Array<Entry>(MAX_LEVEL);

  constructor(readonly key: QueueKey) {}

  insert(j: Job, ticket: number): void {
    const key = this.key(j);
    if (Number.isNaN(key)) throw new Error(`queuedBy: the key gave NaN for job ${j.id} (a sort key must be a number)`);
    const levels = this.drawLevel();
    const e = new Entry(j, key, j.submit, ticket, new Array<Entry | undefined>(levels).fill(undefined));
    const path = this.find(e);
    if (levels > this.level) {
      for (let i = this.level; i < levels; i++) path[i] = this.head;
      this.level = levels;
    }
    for (let i = 0; i < levels; i++) {
      e.next[i] = path[i].next[i];
      path[i].next[i] = e;
    }
    this.entryOf.set(j, e);
  }

  remove(j: Job): void {
    const e = this.entryOf.get(j)!;
    this.entryOf.delete(j);
    e.gone = true;
    const path = this.find(e);
    for (let i = 0; i < e.next.length; i++) if (path[i].next[i] === e) path[i].next[i] = e.next[i];
    while (this.level > 1 && this.head.next[this.level - 1] === undefined) this.level--;
  }

  /** The key queued job `j` entered with. */
  keyOf(j: Job): number {
    return this.entryOf.get(j)!.key;
  }

  /** The first queued job, or undefined when none is left. */
  first(): Job | undefined {
    return this.head.next[0]?.job;
  }

  /** Whether the first job of `a` comes before the first job of `b` (both present). */
  static headsInOrder(a: KeyedQueue, b: KeyedQueue): boolean {
    return before(a.head.next[0]!, b.head.next[0]!);
  }

  /** The queued jobs in order, read as iterated. */
  *walk(): Generator<Job> {
    for (let e = this.head.next[0]; e !== undefined; e = e.next[0]) if (!e.gone) yield e.job!;
  }

  /** For each level, the last entry before `e`. */
  private find(e: Entry): Entry[] {
    const path = this.path;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== undefined && n !== e && before(n, e); n = x.next[i]) x = n;
      path[i] = x;
    }
    return path;
  }

  /** 1 + the number of trailing heads in a row of fair coin flips (xorshift32), at most MAX_LEVEL. */
  private drawLevel(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    let level = 1;
    while (level < MAX_LEVEL && (x & (1 << (level - 1))) !== 0) level++;
    return level;
  }
}

/**
 * What `SchedulerView.queuedBy` returns: an iterable over a `KeyedQueue`, which the core that
 * owns the queue may also walk shape by shape (`QueueIndex.walkByKeyAndShape`).
 */
export class KeyedWalk implements Iterable<Job> {
  constructor(readonly queue: KeyedQueue) {}
  [Symbol.iterator](): Iterator<Job> {
    return this.queue.walk();
  }
}

/** Stable sort of `jobs` by `key` ascending (ties keep the given order): what a `KeyedQueue` walk yields over a queue. */
export function byKey<J extends JobView>(jobs: readonly J[], key: QueueKey): J[] {
  return jobs
    .map((j, i) => ({ j, i, k: key(j) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.j);
}

/**
 * The queued jobs by ascending `key`, ties in queue order: the core's index (`view.queuedBy`) when
 * the view has one, else a stable sort of `view.queue`. A `lazyOrder` that returns it as it is lets
 * the core walk the index by shape.
 */
export function queuedByKey(view: SchedulerView, key: QueueKey): Iterable<JobView> {
  return view.queuedBy?.(key) ?? byKey(view.queue, key);
}
