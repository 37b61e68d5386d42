import type { Demand } from '../cluster/types.ts';
import { canEverRun } from '../scheduler/admission.ts';
import { JobShape, shapeHash } from '../scheduler/job-shape.ts';
import type { Shard } from './shard.ts';

/** One job shape's answer: 1 at shard k when shard k could ever run it. */
class Entry extends JobShape {
  constructor(
    d: Demand,
    readonly fits: Uint8Array,
  ) {
    super(d);
  }
}

/**
 * The master's static capacity check: which shards could ever run a job, were they empty (the
 * shard core's own never-fits test over the nodes it has not lost for good), memoised per job
 * shape (src/scheduler/job-shape.ts: equal shapes fit the same shards), found by the shape's
 * hash, so a routing builds no string. `forget` after a permanent node loss.
 */
export class EverFits {
  private readonly memo = new Map<number, Entry[]>();
  constructor(private readonly shards: readonly Shard[]) {}

  /** 1 at shard k when shard k could ever run `d`. Do not mutate. */
  of(d: Demand): Uint8Array {
    const h = shapeHash(d);
    let list = this.memo.get(h);
    if (list) {
      for (const e of list) if (e.holds(d)) return e.fits;
    } else this.memo.set(h, (list = []));
    const fits = new Uint8Array(this.shards.length);
    for (const s of this.shards) fits[s.index] = canEverRun(s.core.schedulerView, d) ? 1 : 0;
    list.push(new Entry(d, fits));
    return fits;
  }

  forget(): void {
    this.memo.clear();
  }
}
