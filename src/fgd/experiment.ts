import { resolve } from 'node:path';
import type { NodeSpec } from '../cluster/types.ts';
import { typicalPods, type TypicalPod } from '../frag/typical-pods.ts';
import { toCsv } from '../output/csv.ts';
import type { StaticFillWorkload } from '../scenario/schema.ts';
import { podListName } from '../scenario/schema.ts';
import { loadOpenbPods, type OpenbPod } from '../trace/openb.ts';
import { resolveTrace } from '../trace/resolve.ts';
import { kernelFor } from './kernels.ts';
import { FillCache, staticFill, type FillResult } from './static-fill.ts';
import { studyNodeOrder } from './node-order.ts';

/**
 * The FGD study's experiment: every pod list × policy × seed is one static fill
 * (src/fgd/static-fill.ts) of the same node list. Runs are independent and deterministic; the
 * sweep (src/sweep/) spreads them over worker threads or shards and puts the results back in plan
 * order, so the output does not depend on where a run ran. Each run gets a fresh memo
 * (FillCache): measured faster than one shared memo, whose tables grow with every run's states.
 */

/** One pod list, loaded: its name in outputs, its pods and their typical pods. */
export interface FillWorkload {
  readonly name: string;
  readonly path: string;
  readonly pods: readonly OpenbPod[];
  readonly typical: readonly TypicalPod[];
}

/** One finished run: the fill's curve, what ran, and how long it took (wall time, not written to files). */
export interface FillRun extends FillResult {
  readonly workload: string;
  readonly label: string;
  /** Pods in the pod list (before padding). */
  readonly listPods: number;
  readonly wallMs: number;
}

/** Loads one pod list of a static-fill workload (found like any trace: src/trace/resolve.ts). */
export async function loadFillWorkload(w: StaticFillWorkload, path: string, base: string, say: (line: string) => void): Promise<FillWorkload> {
  const file = await resolveTrace(path, { base: resolve(base) });
  const { pods, report } = await loadOpenbPods(file, { onBadRow: w.onBadRow });
  say(`static fill ${path}: ${pods.length} pods${report.skipped ? `, ${report.skipped} bad rows skipped` : ''}`);
  for (const e of report.errors) say(`  skipped: ${e.message}`);
  return { name: podListName(path), path, pods, typical: typicalPods(pods) };
}

/** One run, in this thread. */
export function runFill(nodes: readonly NodeSpec[], w: FillWorkload, run: { label: string; placement: string; seed: number }, tune: number, nodeOrder: 'study' | 'list' = 'study'): FillRun {
  const t0 = performance.now();
  const r = staticFill({ nodes: nodeOrder === 'study' ? studyNodeOrder(nodes, run.seed) : nodes, pods: w.pods, kernel: kernelFor(run.placement), seed: run.seed, tune, cache: new FillCache(w.typical) });
  return { ...r, workload: w.name, label: run.label, listPods: w.pods.length, wallMs: performance.now() - t0 };
}

export interface PolicySummary {
  readonly label: string;
  readonly seeds: number;
  /** Seed means at arrived 100% and at the top (130%); NaN when a run has no such row. */
  readonly alloc100: number;
  readonly frag100: number;
  readonly allocTop: number;
  readonly fragTop: number;
  readonly failedMean: number;
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Per label (first-seen order): seed means of gpu_alloc_pct and frag_pct at `lo`% and `hi`%. */
export function summarise(results: readonly (FillResult & { readonly label: string })[], lo = 100, hi = 130): PolicySummary[] {
  const labels = [...new Set(results.map((r) => r.label))];
  return labels.map((label) => {
    const rs = results.filter((r) => r.label === label);
    const at = (pct: number) => rs.map((r) => r.points.find((p) => p.arrivedPct === pct)).filter((p) => p !== undefined);
    const a = at(lo);
    const b = at(hi);
    return {
      label,
      seeds: rs.length,
      alloc100: mean(a.map((p) => p.gpuAllocPct)),
      frag100: mean(a.map((p) => p.fragPct)),
      allocTop: mean(b.map((p) => p.gpuAllocPct)),
      fragTop: mean(b.map((p) => p.fragPct)),
      failedMean: mean(rs.map((r) => r.failed)),
    };
  });
}

const r4 = (x: number) => String(Math.round(x * 1e4) / 1e4);

/** fgd-curve.csv: workload,policy,seed,arrived_pct,gpu_alloc_pct,frag_pct — one row per integer %, runs in the given order. */
export function curveCsv(results: readonly FillRun[]): string {
  const rows = results.flatMap((r) => r.points.map((p) => [r.workload, r.label, r.seed, p.arrivedPct, r4(p.gpuAllocPct), r4(p.fragPct)]));
  return toCsv(['workload', 'policy', 'seed', 'arrived_pct', 'gpu_alloc_pct', 'frag_pct'], rows);
}
