import type { WorkerKind } from './work-spec.ts';
import type { Worker } from './worker-process.ts';

/** The pool a worker belongs to: its kind and the GPUs it is pinned to. */
export function poolKey(kind: WorkerKind, gpuEnv: Record<string, string>): string {
  return `${kind}|${gpuEnv.CUDA_VISIBLE_DEVICES ?? ''}`;
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
