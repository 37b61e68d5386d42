import type { WorkerKind } from './work-spec.ts';
import type { Worker } from './worker-process.ts';

/**
 * The pool a worker belongs to. A tensor worker initialises its backend when it starts, in the GPU
 * pinning it was started with, so its pool is the pinning's (`tensor|0`, `tensor|0,1`, `tensor|`
 * for none). A plain worker starts unpinned and takes its job's pinning with the job (the `run`
 * message's environment, set before the command starts), so one pool serves every pinning.
 */
export function poolKey(kind: WorkerKind, gpuEnv: Record<string, string>): string {
  return kind === 'plain' ? 'plain|' : `tensor|${gpuEnv.CUDA_VISIBLE_DEVICES ?? ''}`;
}

/** The environment a worker of `kind` is started with to wait in `gpuEnv`'s pool (see poolKey). */
export function pooledEnv(kind: WorkerKind, gpuEnv: Record<string, string>): Record<string, string> {
  return kind === 'plain' ? {} : gpuEnv;
}

/**
 * The pinnings the start-up pool fills for `kind` on nodes of up to `gpus` GPUs: for tensor workers
 * each GPU index below `gpus` (the pinning of a one-GPU job on it), else none (one unpinned pool).
 */
export function warmPins(kind: WorkerKind, gpus: number): Record<string, string>[] {
  if (kind === 'plain' || gpus <= 0) return [{}];
  return Array.from({ length: gpus }, (_, g) => ({ CUDA_VISIBLE_DEVICES: String(g) }));
}

/** The most GPUs any of `nodes` has: the `warmGpus` of an executor that runs them. */
export function mostGpus(nodes: readonly { readonly gpus: readonly unknown[] }[]): number {
  return nodes.reduce((m, n) => Math.max(m, n.gpus.length), 0);
}

/** The most warm workers a start-up pool may hold in all (each is a process; a tensor one holds a GPU context). */
export const MAX_WARM_WORKERS = 64;

/**
 * Why a start-up pool of `pool` on nodes of up to `gpus` GPUs is too big (`tensor` per GPU, `plain`
 * in all; see warmPins), naming `field`; undefined when it is within MAX_WARM_WORKERS.
 */
export function warmPoolTooBig(pool: Partial<Record<WorkerKind, number>>, gpus: number, field: string): string | undefined {
  const pins = warmPins('tensor', gpus).length;
  const total = (pool.tensor ?? 0) * pins + (pool.plain ?? 0);
  if (total <= MAX_WARM_WORKERS) return undefined;
  return `${field}: ${pool.tensor ?? 0} tensor per GPU × ${pins} GPU${pins === 1 ? '' : 's'} + ${pool.plain ?? 0} plain = ${total} warm workers, more than ${MAX_WARM_WORKERS}`;
}

/** Pre-started idle workers, first in first out per pool key. Holds workers; starts none. */
export class WarmPool {
  private readonly lists = new Map<string, Worker[]>();

  /**
   * A live worker of `key`, taken out of the pool: the oldest one that has said `ready`, else the
   * oldest still starting; undefined when there is none.
   */
  take(key: string): Worker | undefined {
    const pooled = this.lists.get(key);
    if (pooled === undefined) return undefined;
    // A warm worker that has exited but not yet drained is no candidate.
    for (let i = pooled.length - 1; i >= 0; i--) if (pooled[i].exitCode !== null || pooled[i].exitSignal !== null) pooled.splice(i, 1);
    if (pooled.length === 0) return undefined;
    const ready = pooled.findIndex((w) => w.lastHeard >= 0);
    return pooled.splice(ready >= 0 ? ready : 0, 1)[0];
  }

  add(key: string, w: Worker): void {
    const l = this.lists.get(key) ?? [];
    l.push(w);
    this.lists.set(key, l);
  }

  /** Drops `w` if it is still waiting in the pool (a warm worker that died while idle). */
  remove(key: string, w: Worker): void {
    const l = this.lists.get(key);
    if (l && l.includes(w)) l.splice(l.indexOf(w), 1);
  }

  /** Every worker now waiting, in no particular order. */
  workers(): Worker[] {
    return [...this.lists.values()].flat();
  }

  get size(): number {
    let n = 0;
    for (const l of this.lists.values()) n += l.length;
    return n;
  }
}
