import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeSpec } from '../cluster/types.ts';
import { renderTable } from '../output/table.ts';
import { podListName, type Scenario, type StaticFillWorkload } from '../scenario/schema.ts';
import { curveCsv, summarise, type FillRun } from './experiment.ts';

/**
 * The outputs of a scenario with `workload: {kind: static-fill}` (every pod list × placement
 * policy × seed one static fill, run by the sweep, src/sweep/): `<out>/fgd-curve.csv` (every run's
 * curve, in plan order) and `<out>/summary.json`, and the printed table: per pod list and policy,
 * the seed means of gpu_alloc_pct and frag_pct at arrived 100% and at the top (tune × 100%).
 * A placement name means the same algorithm as everywhere else: the study's BestFit is
 * `best-fit-study` (gpulab's own `best-fit` is a different rule, see policies/placement);
 * src/scenario/policy-params.ts refuses a placement without a static-fill kernel.
 */

/** The cluster facts summary.json states, computed once from the node list. */
export interface FillNodesMeta {
  readonly nodes: number;
  readonly gpus: number;
  readonly gpuCapacityMilli: number;
}

export function fillNodesMeta(nodes: readonly NodeSpec[]): FillNodesMeta {
  return {
    nodes: nodes.length,
    gpus: nodes.reduce((a, n) => a + n.gpus.length, 0),
    gpuCapacityMilli: nodes.reduce((a, n) => a + n.gpus.reduce((b, g) => b + g.capacity, 0), 0),
  };
}

/** Writes fgd-curve.csv and summary.json into `dir`; `results` complete and in plan order. */
export function writeStaticFillOutputs(dir: string, s: { scn: Scenario; output: string; nodes: FillNodesMeta; seeds: readonly number[]; results: readonly FillRun[] }): void {
  writeFileSync(join(dir, 'fgd-curve.csv'), curveCsv(s.results));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(staticFillSummary(s), null, 2) + '\n');
}

/** Runs grouped by pod list, in first-seen (plan) order. */
function byWorkload(results: readonly FillRun[]): [string, FillRun[]][] {
  const m = new Map<string, FillRun[]>();
  for (const r of results) {
    const a = m.get(r.workload);
    if (a) a.push(r);
    else m.set(r.workload, [r]);
  }
  return [...m];
}

/**
 * summary.json of a static-fill study: what was filled (pod list(s), nodes, GPU capacity, tune,
 * seeds, policies), the per-policy seed means the CLI prints, and where the curve is. `kind:
 * 'static-fill'` tells readers (the viewer) that there are no event logs: `runs` is empty and the
 * study's data is `curve`. With several pod lists, `workloads` lists them and each row of
 * `results` names its `workload`. Pure; deterministic (no wall times), like a simulation's.
 */
export function staticFillSummary(s: { scn: Scenario; output: string; nodes: FillNodesMeta; seeds: readonly number[]; results: readonly FillRun[] }) {
  const w = s.scn.workload as StaticFillWorkload;
  const top = Math.round(w.tune * 100);
  const r4 = (x: number) => (Number.isNaN(x) ? null : Math.round(x * 1e4) / 1e4);
  const groups = byWorkload(s.results);
  const several = w.paths !== undefined && w.paths.length > 1;
  const got = new Map(groups);
  const lists = paths(w).map((p) => ({ workload: podListName(p), podList: p, pods: got.get(podListName(p))?.[0].listPods ?? 0 }));
  const rows = groups.flatMap(([name, rs]) =>
    summarise(rs, 100, top).map((p) => ({
      label: p.label,
      ...(several ? { workload: name } : {}),
      seeds: p.seeds,
      allocPctAt100: r4(p.alloc100),
      fragPctAt100: r4(p.frag100),
      [`allocPctAt${top}`]: r4(p.allocTop),
      [`fragPctAt${top}`]: r4(p.fragTop),
      failedPodsMean: r4(p.failedMean),
    })),
  );
  return {
    scenario: s.scn.name,
    output: s.output,
    kind: 'static-fill' as const,
    curve: 'fgd-curve.csv',
    workload: several ? lists.map((l) => l.workload).join(', ') : lists[0]?.workload,
    podList: lists.map((l) => l.podList).join(', '),
    pods: lists.reduce((a, l) => a + l.pods, 0),
    ...(several ? { workloads: lists } : {}),
    nodes: s.nodes.nodes,
    gpus: s.nodes.gpus,
    gpuCapacityMilli: s.nodes.gpuCapacityMilli,
    tune: w.tune,
    seeds: [...s.seeds],
    policies: s.scn.policies.map((c) => ({ label: c.label ?? c.placement, placement: c.placement })),
    covers: {
      arrived: 'GPU demand of the pods arrived so far, % of cluster GPU capacity (integer steps 0..tune × 100)',
      alloc: 'allocated milli-GPU / cluster milli-GPU, %',
      frag: 'fragmented idle milli-GPU (FGD\'s measure over the typical pods) / cluster milli-GPU, %',
      means: `seed means at arrived 100% and at ${top}%${several ? ', per pod list' : ''}`,
    },
    results: rows,
    runs: [] as never[],
  };
}

const paths = (w: StaticFillWorkload): readonly string[] => w.paths ?? (w.path === undefined ? [] : [w.path]);

/** The printed report: per pod list and policy, the seed means (a `pod list` column when there are several). */
export function staticFillTable(results: readonly FillRun[], top: number): string {
  const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
  const groups = byWorkload(results);
  const several = groups.length > 1;
  const rows = groups.flatMap(([name, rs]) =>
    summarise(rs, 100, top).map((s) => [...(several ? [name] : []), s.label, s.seeds, f(s.alloc100), f(s.frag100), f(s.allocTop), f(s.fragTop), s.failedMean.toFixed(1)]),
  );
  const head = [...(several ? ['pod list'] : []), 'policy', 'seeds', 'alloc% @100', 'frag% @100', `alloc% @${top}`, `frag% @${top}`, 'failed pods'];
  return renderTable(head, rows) + '\n(seed means; alloc = allocated / total milli-GPU, frag = fragmentation / capacity)';
}
