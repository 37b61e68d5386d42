import '../../policies/index.ts';
import { staticFillPlacements } from '../fgd/kernels.ts';
import { checkParams, placementPolicyNames, placementPolicyParams, queuePolicyNames, queuePolicyParams } from '../scheduler/registry.ts';
import { routingPolicyNames, routingPolicyParams } from '../hierarchy/routing-registry.ts';
import { ScenarioError } from './load.ts';
import type { Scenario } from './schema.ts';

/**
 * Checks every policy combination of a scenario against the registry, as `field: message` lines:
 * each name is registered (`policies.<i>.queue: unknown queue policy 'x' (known: …)`) and its
 * params pass that policy's schema (`policies.<i>.params.queue.<field>: …`, an unknown key named
 * in the path). A static fill runs its placements as static-fill kernels (src/fgd/kernels.ts), so
 * there a placement must be one of those, and params are refused: the kernels take none (typical
 * pods come from the pod list). Read the registry after the scenario's plugins are loaded, since
 * they register policies. Pure over the registry.
 */
export function policyParamProblems(scn: Pick<Scenario, 'policies' | 'workload'>): string[] {
  const problems: string[] = [];
  const staticFill = scn.workload.kind === 'static-fill';
  const queues = new Set(queuePolicyNames());
  const placements = new Set(placementPolicyNames());
  const kernels = staticFill ? staticFillPlacements() : [];
  scn.policies.forEach((c, i) => {
    const at = `policies.${i}`;
    if (!queues.has(c.queue)) problems.push(`${at}.queue: unknown queue policy '${c.queue}' (known: ${[...queues].join(', ')})`);
    else {
      const r = checkParams(queuePolicyParams(c.queue), c.params.queue, `${at}.params.queue`);
      if (!r.ok) problems.push(...r.problems);
    }
    if (staticFill) {
      if (!kernels.includes(c.placement)) {
        problems.push(`${at}.placement: '${c.placement}' has no static-fill kernel; workload.kind static-fill runs: ${kernels.join(', ')}`);
      }
      for (const k of Object.keys(c.params.placement)) problems.push(`${at}.params.placement.${k}: not used by workload.kind static-fill (its kernels take no params)`);
    } else if (!placements.has(c.placement)) {
      problems.push(`${at}.placement: unknown placement policy '${c.placement}' (known: ${[...placements].join(', ')})`);
    } else {
      const r = checkParams(placementPolicyParams(c.placement), c.params.placement, `${at}.params.placement`);
      if (!r.ok) problems.push(...r.problems);
    }
    if (c.hierarchy) problems.push(...hierarchyProblems(c.hierarchy, `${at}.hierarchy`, staticFill));
  });
  return problems;
}

/** A combination's `hierarchy:` against the routing registry (name, params); a static fill has no scheduler to shard. */
function hierarchyProblems(h: NonNullable<Scenario['policies'][number]['hierarchy']>, at: string, staticFill: boolean): string[] {
  if (staticFill) return [`${at}: not used by workload.kind static-fill (nothing is scheduled)`];
  const names = routingPolicyNames();
  if (!names.includes(h.routing)) return [`${at}.routing: unknown routing policy '${h.routing}' (known: ${names.join(', ')})`];
  const r = checkParams(routingPolicyParams(h.routing), h.params, `${at}.params`);
  return r.ok ? [] : r.problems;
}

/** Throws a ScenarioError naming `file` and every problem `policyParamProblems` finds. */
export function validatePolicyParams(scn: Pick<Scenario, 'policies' | 'workload'>, file: string): void {
  const problems = policyParamProblems(scn);
  if (problems.length > 0) throw new ScenarioError(file, problems);
}
