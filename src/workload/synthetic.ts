import { exponential, normal, RngStreams, weightedIndex, type Rng } from '../engine/rng.ts';
import type { JobSpec } from '../jobs/job.ts';

/** Job durations: the distributions a synthetic workload may draw from (seconds). */
export type DurationSpec =
  | { readonly dist: 'lognormal'; readonly medianSec: number; readonly sigma: number }
  | { readonly dist: 'pareto'; readonly minSec: number; readonly alpha: number; readonly maxSec?: number }
  | { readonly dist: 'exponential'; readonly meanSec: number }
  | { readonly dist: 'constant'; readonly sec: number };

/** What a synthetic workload says (a scenario's `workload: {kind: synthetic}`, validated there). */
export interface SyntheticWorkload {
  readonly jobs: number;
  readonly meanInterarrivalSec: number;
  readonly duration: DurationSpec;
  readonly demands: readonly {
    readonly weight: number;
    readonly gpus: number;
    readonly milli: number;
    readonly cpu: number;
    readonly memory: number;
    readonly models?: readonly string[];
    readonly work?: Readonly<Record<string, unknown>>;
    readonly mig?: string;
    readonly priority?: number;
    readonly tenants?: readonly string[];
    /** One context id, or `count` ids drawn with Zipf weights (stream `workload/contexts`). */
    readonly context?: string | { readonly count: number; readonly zipf: number; readonly prefix: string };
  }[];
  readonly tenants: readonly { readonly name: string; readonly share: number }[];
  /** Estimates are off by a factor in [1/(1+x), 1+x] (0 = exact). */
  readonly estimateError: number;
}

function durationSec(w: DurationSpec, rng: Rng): number {
  switch (w.dist) {
    case 'lognormal':
      return w.medianSec * Math.exp(w.sigma * normal(rng));
    case 'pareto': {
      const x = w.minSec / Math.pow(1 - rng(), 1 / w.alpha);
      return w.maxSec === undefined ? x : Math.min(x, w.maxSec);
    }
    case 'exponential':
      return exponential(rng, w.meanSec);
    case 'constant':
      return w.sec;
  }
}

/**
 * Synthetic workload: Poisson arrivals, durations from the chosen distribution, GPU demands and
 * tenants drawn from weighted mixes. Each aspect draws from its own named stream, so changing
 * (say) the demand mix never changes arrival times or durations. Deterministic per seed.
 */
export function synthesize(w: SyntheticWorkload, seed: number): JobSpec[] {
  return [...syntheticJobs(w, seed)];
}

/**
 * The jobs `synthesize` returns, in the same order, drawn one at a time as they are pulled: a
 * run that streams them (`simulate` pulls one arrival ahead) never holds the whole list. Each
 * iteration starts over from the seed, so iterating twice gives the same jobs.
 */
export function syntheticJobs(w: SyntheticWorkload, seed: number): Iterable<JobSpec> {
  return { [Symbol.iterator]: () => draw(w, seed) };
}

function* draw(w: SyntheticWorkload, seed: number): Generator<JobSpec, void, undefined> {
  const s = new RngStreams(seed);
  const arrivals = s.get('workload/arrivals');
  const durations = s.get('workload/durations');
  const demands = s.get('workload/demands');
  const tenants = s.get('workload/tenants');
  const estimates = s.get('workload/estimates');
  const contexts = s.get('workload/contexts');
  // Zipf weights per demand that draws its context (1/(k+1)^s), computed once.
  const zipf = w.demands.map((d) => (typeof d.context === 'object' ? Array.from({ length: d.context.count }, (_, k) => 1 / Math.pow(k + 1, (d.context as { zipf: number }).zipf)) : undefined));
  const demandWeights = w.demands.map((d) => d.weight);
  // Demands restricted to some tenants (`tenants:`) get weight 0 for the others.
  const restricted = w.demands.some((d) => d.tenants);
  const perTenant = new Map(w.tenants.map((t) => [t.name, w.demands.map((d) => (!d.tenants || d.tenants.includes(t.name) ? d.weight : 0))]));
  const demandWeightsOf = (t: string) => (restricted ? perTenant.get(t)! : demandWeights);
  const tenantWeights = w.tenants.map((t) => t.share);
  const meanGapMs = w.meanInterarrivalSec * 1000;
  const width = String(w.jobs - 1).length;
  let t = 0;
  for (let i = 0; i < w.jobs; i++) {
    if (i > 0) t += Math.round(exponential(arrivals, meanGapMs));
    const tenant = w.tenants[weightedIndex(tenants, tenantWeights)].name;
    const di = weightedIndex(demands, demandWeightsOf(tenant));
    const d = w.demands[di];
    const duration = Math.max(1, Math.round(durationSec(w.duration, durations) * 1000));
    const factor = w.estimateError > 0 ? Math.exp((2 * estimates() - 1) * Math.log(1 + w.estimateError)) : 1;
    if (!d.mig && !d.models && !d.work && d.context === undefined) {
      // The common case as one literal: the same keys in the same order as below.
      yield {
        id: `j${String(i).padStart(width, '0')}`,
        tenant,
        submit: t,
        duration,
        estimate: Math.max(1, Math.round(duration * factor)),
        cpu: d.cpu,
        memory: d.memory,
        gpus: d.gpus,
        milli: d.gpus === 0 ? 0 : d.milli,
        priority: d.priority ?? 0,
      };
      continue;
    }
    yield {
      id: `j${String(i).padStart(width, '0')}`,
      tenant,
      submit: t,
      duration,
      estimate: Math.max(1, Math.round(duration * factor)),
      cpu: d.cpu,
      memory: d.memory,
      gpus: d.gpus,
      // A MIG request's milli is a lower bound (one slice); the grant says what it holds.
      milli: d.gpus === 0 ? 0 : d.mig ? 125 : d.milli,
      ...(d.mig ? { mig: d.mig } : {}),
      ...(d.models ? { models: d.models } : {}),
      ...(d.work ? { work: d.work } : {}),
      priority: d.priority ?? 0,
      ...(d.context === undefined ? {} : { context: typeof d.context === 'string' ? d.context : `${d.context.prefix}${weightedIndex(contexts, zipf[di]!)}` }),
    };
  }
}
