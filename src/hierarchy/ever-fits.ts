import type { Demand } from '../cluster/types.ts';
import { mix } from '../cluster/node-groups.ts';
import { canEverRun } from '../scheduler/admission.ts';
import type { Shard } from './shard.ts';

/** One job shape's answer: the shape's fields, and 1 at shard k when shard k could ever run it. */
interface Entry {
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: number;
  readonly milli: number;
  readonly models: string;
  readonly mig: string | undefined;
  readonly fits: Uint8Array;
}

const modelsOf = (d: Demand): string => (d.models ? d.models.join('|') : '');

/**
 * The master's static capacity check: which shards could ever run a job, were they empty (the
 * shard core's own never-fits test over the nodes it has not lost for good), memoised per job
 * shape (jobs with equal shapes fit the same shards). The memo is found by a numeric hash of the
 * shape, so a routing builds no string. `forget` after a permanent node loss.
 */
export class EverFits {
  private readonly memo = new Map<number, Entry[]>();
  constructor(private readonly shards: readonly Shard[]) {}

  /** 1 at shard k when shard k could ever run `d`. Do not mutate. */
  of(d: Demand): Uint8Array {
    const h = mix(mix(mix(mix(0, d.cpu), d.memory), d.gpus), d.milli);
    let list = this.memo.get(h);
    if (list) {
      for (const e of list) {
        if (e.cpu === d.cpu && e.memory === d.memory && e.gpus === d.gpus && e.milli === d.milli && e.mig === d.mig && e.models === modelsOf(d)) return e.fits;
      }
    } else this.memo.set(h, (list = []));
    const fits = new Uint8Array(this.shards.length);
    for (const s of this.shards) fits[s.index] = canEverRun(s.core.schedulerView, d) ? 1 : 0;
    list.push({ cpu: d.cpu, memory: d.memory, gpus: d.gpus, milli: d.milli, models: modelsOf(d), mig: d.mig, fits });
    return fits;
  }

  forget(): void {
    this.memo.clear();
  }
}
