import type { Demand } from '../cluster/types.ts';
import { canEverRun } from '../scheduler/admission.ts';
import type { Shard } from './shard.ts';

/** Jobs with equal shapes fit the same shards (the core's queue shapes, src/scheduler/queue-index.ts). */
function shapeKey(d: Demand): string {
  return `${d.cpu}/${d.memory}/${d.gpus}/${d.milli}/${d.models ? d.models.join('|') : ''}${d.mig ? `/${d.mig}` : ''}`;
}

/**
 * The master's static capacity check: which shards could ever run a job, were they empty (the
 * shard core's own never-fits test over the nodes it has not lost for good), memoised per job
 * shape. `forget` after a permanent node loss.
 */
export class EverFits {
  private readonly memo = new Map<string, Uint8Array>();
  constructor(private readonly shards: readonly Shard[]) {}

  /** 1 at shard k when shard k could ever run `d`. Do not mutate. */
  of(d: Demand): Uint8Array {
    const key = shapeKey(d);
    let m = this.memo.get(key);
    if (!m) {
      m = new Uint8Array(this.shards.length);
      for (const s of this.shards) m[s.index] = canEverRun(s.core.schedulerView, d) ? 1 : 0;
      this.memo.set(key, m);
    }
    return m;
  }

  forget(): void {
    this.memo.clear();
  }
}
