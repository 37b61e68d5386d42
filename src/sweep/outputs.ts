import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeStaticFillOutputs, type FillNodesMeta } from '../fgd/scenario.ts';
import type { FillRun } from '../fgd/experiment.ts';
import { METRICS_COVER } from '../output/derive.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { TaskResult } from './context.ts';
import type { RunSummary } from './sim-task.ts';

/**
 * The files a whole sweep writes once every run is done, from the results in plan order: a
 * simulation's summary.json (its runs' own files were written by the runs), a static fill's
 * fgd-curve.csv and summary.json. A single run, any number of workers and a merge of shards all
 * end here, so they write the same bytes.
 */
export function writeSweepOutputs(dir: string, s: { scn: Scenario; output: string; seeds: readonly number[]; nodes: FillNodesMeta; results: readonly TaskResult[] }): void {
  mkdirSync(dir, { recursive: true });
  if (s.scn.workload.kind === 'static-fill') {
    writeStaticFillOutputs(dir, { scn: s.scn, output: s.output, nodes: s.nodes, seeds: s.seeds, results: fillRuns(s.results) });
    return;
  }
  // wallMs varies between machines; summary.json keeps only deterministic fields.
  const stable = { scenario: s.scn.name, output: s.output, covers: METRICS_COVER, runs: simRuns(s.results).map(({ wallMs: _w, ...r }) => r) };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(stable, null, 2) + '\n');
}

export const simRuns = (rs: readonly TaskResult[]): RunSummary[] => rs.flatMap((r) => (r.kind === 'simulation' ? [r.run] : []));
export const fillRuns = (rs: readonly TaskResult[]): FillRun[] => rs.flatMap((r) => (r.kind === 'static-fill' ? [r.fill] : []));
