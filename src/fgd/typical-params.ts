import type { JobSpec } from '../jobs/job.ts';
import { typicalPods } from '../frag/typical-pods.ts';
import type { PolicyParams } from '../scheduler/registry.ts';

/**
 * Placement params for a run: `fgd` gets `typicalPods` derived from the run's own workload (the
 * study's typical pods: distinct request shapes by popularity up to 95%) unless the scenario gives
 * them; every other policy gets its params unchanged. Memoised per job list (by identity).
 */
const memo = new WeakMap<readonly JobSpec[], ReturnType<typeof typicalPods>>();

export function withTypicalPods(placement: string, params: PolicyParams, jobs: readonly JobSpec[]): PolicyParams {
  if (placement !== 'fgd' || 'typicalPods' in params) return params;
  let t = memo.get(jobs);
  if (!t) {
    t = typicalPods(jobs.map((j) => ({ cpu: j.cpu, gpus: j.gpus, milli: j.gpus === 0 ? 0 : j.milli, spec: j.models ? j.models.join('|') : '' })));
    memo.set(jobs, t);
  }
  return { ...params, typicalPods: t };
}
