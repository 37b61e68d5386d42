import type { WorkerKind } from './work-spec.ts';
import type { Worker } from './worker-process.ts';

/** The pool a worker belongs to: its kind and the GPUs it is pinned to. */
export function poolKey(kind: WorkerKind, gpuEnv: Record<string, string>): string {
  return `${kind}|${gpuEnv.CUDA_VISIBLE_DEVICES ?? ''}`;
}

/** Pre-started idle workers, first in first out per pool key. Holds workers; starts none. */
export class WarmPool {
  private readonly lists = new Map<string, Worker[]>();

  /** The oldest live worker of `key`, taken out of the pool; undefined when there is none. */
  take(key: string): Worker | undefined {
    const pooled = this.lists.get(key);
    // A warm worker that has exited but not yet drained is no candidate.
    while (pooled && pooled.length > 0 && (pooled[0].exitCode !== null || pooled[0].exitSignal !== null)) pooled.shift();
    return pooled !== undefined && pooled.length > 0 ? pooled.shift()! : undefined;
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
