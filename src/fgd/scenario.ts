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
 * fill. Writes `<out>/fgd-curve.csv` (unless dry-run) and returns the printed table: per policy,
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
  }
  return staticFillTable(results, Math.round(w.tune * 100)) + `\nworkload ${workload}, tune ${w.tune}, ${o.seeds.length} seeds; ${wall.toFixed(2)} s` + (o.dryRun ? '' : `\ncurve: ${join(o.shownOut ?? o.out, 'fgd-curve.csv')}`);
}

export function staticFillTable(results: readonly RunResult[], top: number): string {
  const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
  const rows = summarise(results, 100, top).map((s) => [s.label, s.seeds, f(s.alloc100), f(s.frag100), f(s.allocTop), f(s.fragTop), s.failedMean.toFixed(1)]);
  return renderTable(['policy', 'seeds', 'alloc% @100', 'frag% @100', `alloc% @${top}`, `frag% @${top}`, 'failed pods'], rows) + '\n(seed means; alloc = allocated / total milli-GPU, frag = fragmentation / capacity)';
}
