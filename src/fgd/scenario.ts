import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeSpec } from '../cluster/types.ts';
import { renderTable } from '../output/table.ts';
import type { Scenario, StaticFillWorkload } from '../scenario/schema.ts';
import { loadOpenbPods } from '../trace/openb.ts';
import { resolveTrace } from '../trace/resolve.ts';
import { curveCsv, runExperiment, summarise, type RunResult } from './experiment.ts';

/**
 * A scenario with `workload: {kind: static-fill}`: every placement policy × seed as one static
 * fill. Writes `<out>/fgd-curve.csv` and `<out>/summary.json` (unless dry-run) and returns the printed table: per policy,
 * the seed means of gpu_alloc_pct and frag_pct at arrived 100% and at the top (tune × 100%).
 * A placement name means the same algorithm as everywhere else: the study's BestFit is
 * `best-fit-study` (gpulab's own `best-fit` is a different rule, see policies/placement);
 * src/scenario/policy-params.ts refuses a placement without a static-fill kernel.
 */
export async function runStaticFillScenario(
  scn: Scenario,
  w: StaticFillWorkload,
  o: { nodes: readonly NodeSpec[]; base: string; seeds: readonly number[]; out: string; shownOut?: string; dryRun?: boolean; say: (l: string) => void },
): Promise<string> {
  const t0 = performance.now();
  const file = await resolveTrace(w.path, { base: o.base });
  const { pods, report } = await loadOpenbPods(file, { onBadRow: w.onBadRow });
  o.say(`static fill ${w.path}: ${pods.length} pods${report.skipped ? `, ${report.skipped} bad rows skipped` : ''}; ${o.nodes.length} nodes`);
  for (const e of report.errors) o.say(`  skipped: ${e.message}`);
  const workload = w.path.replace(/^.*\//, '').replace(/^openb_pod_list_/, '').replace(/\.csv$/, '');
  const runs = scn.policies.map((c) => ({ label: c.label ?? c.placement, placement: c.placement }));
  const { results, typical } = await runExperiment({ workload, nodes: o.nodes, pods, runs, seeds: o.seeds, tune: w.tune, workers: w.workers });
  const wall = (performance.now() - t0) / 1000;
  o.say(`${results.length} runs (${runs.length} policies × ${o.seeds.length} seeds), ${typical.length} typical pods, ${wall.toFixed(2)} s`);
  if (!o.dryRun) {
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'fgd-curve.csv'), curveCsv(workload, results));
    const summary = staticFillSummary({ scenario: scn.name, output: o.shownOut ?? o.out, workload, podList: w.path, pods: pods.length, nodes: o.nodes, tune: w.tune, seeds: o.seeds, runs, results });
    writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  const shown = o.shownOut ?? o.out;
  return staticFillTable(results, Math.round(w.tune * 100)) + `\nworkload ${workload}, tune ${w.tune}, ${o.seeds.length} seeds; ${wall.toFixed(2)} s` + (o.dryRun ? '' : `\ncurve: ${join(shown, 'fgd-curve.csv')}`);
}

/**
 * summary.json of a static-fill study: what was filled (pod list, nodes, GPU capacity, tune,
 * seeds, policies), the per-policy seed means the CLI prints, and where the curve is. `kind:
 * 'static-fill'` tells readers (the viewer) that there are no event logs: `runs` is empty and the
 * study's data is `curve`. Pure; deterministic (no wall times), like a simulation's summary.json.
 */
export function staticFillSummary(s: {
  scenario: string;
  output: string;
  workload: string;
  podList: string;
  pods: number;
  nodes: readonly NodeSpec[];
  tune: number;
  seeds: readonly number[];
  runs: readonly { label: string; placement: string }[];
  results: readonly RunResult[];
}) {
  const top = Math.round(s.tune * 100);
  const r4 = (x: number) => (Number.isNaN(x) ? null : Math.round(x * 1e4) / 1e4);
  return {
    scenario: s.scenario,
    output: s.output,
    kind: 'static-fill' as const,
    curve: 'fgd-curve.csv',
    workload: s.workload,
    podList: s.podList,
    pods: s.pods,
    nodes: s.nodes.length,
    gpus: s.nodes.reduce((a, n) => a + n.gpus.length, 0),
    gpuCapacityMilli: s.nodes.reduce((a, n) => a + n.gpus.reduce((b, g) => b + g.capacity, 0), 0),
    tune: s.tune,
    seeds: [...s.seeds],
    policies: s.runs.map((r) => ({ label: r.label, placement: r.placement })),
    covers: {
      arrived: 'GPU demand of the pods arrived so far, % of cluster GPU capacity (integer steps 0..tune × 100)',
      alloc: 'allocated milli-GPU / cluster milli-GPU, %',
      frag: 'fragmented idle milli-GPU (FGD\'s measure over the typical pods) / cluster milli-GPU, %',
      means: `seed means at arrived 100% and at ${top}%`,
    },
    results: summarise(s.results, 100, top).map((p) => ({
      label: p.label,
      seeds: p.seeds,
      allocPctAt100: r4(p.alloc100),
      fragPctAt100: r4(p.frag100),
      [`allocPctAt${top}`]: r4(p.allocTop),
      [`fragPctAt${top}`]: r4(p.fragTop),
      failedPodsMean: r4(p.failedMean),
    })),
    runs: [] as never[],
  };
}

export function staticFillTable(results: readonly RunResult[], top: number): string {
  const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
  const rows = summarise(results, 100, top).map((s) => [s.label, s.seeds, f(s.alloc100), f(s.frag100), f(s.allocTop), f(s.fragTop), s.failedMean.toFixed(1)]);
  return renderTable(['policy', 'seeds', 'alloc% @100', 'frag% @100', `alloc% @${top}`, `frag% @${top}`, 'failed pods'], rows) + '\n(seed means; alloc = allocated / total milli-GPU, frag = fragmentation / capacity)';
}
