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

/**
 * Pre-started idle workers, first in first out per pool key, and when each key was last used (a
 * take or an add), for evicting the least recently used pool. Holds workers; starts and stops none.
 */
export class WarmPool {
  private readonly lists = new Map<string, Worker[]>();
  private readonly used = new Map<string, number>();
  private uses = 0;

  /**
   * A live worker of `key`, taken out of the pool: the oldest one that has said `ready`, else the
   * oldest still starting; undefined when there is none.
   */
  take(key: string): Worker | undefined {
    this.used.set(key, ++this.uses);
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
    this.used.set(key, ++this.uses);
  }

  /** Workers waiting in pools whose key is not in `keys`. */
  sizeOutside(keys: ReadonlySet<string>): number {
    let n = 0;
    for (const [k, l] of this.lists) if (!keys.has(k)) n += l.length;
    return n;
  }

  /**
   * Takes out the oldest worker of the least recently used pool outside `keys` other than `keep`
   * (for the caller to stop); undefined when no such pool holds one.
   */
  evict(keys: ReadonlySet<string>, keep: string): Worker | undefined {
    let lru: string | undefined;
    for (const [k, l] of this.lists) {
      if (l.length === 0 || keys.has(k) || k === keep) continue;
      if (lru === undefined || this.used.get(k)! < this.used.get(lru)!) lru = k;
    }
    return lru === undefined ? undefined : this.lists.get(lru)!.shift();
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
