import { join } from 'node:path';
import type { NodeSpec } from '../cluster/types.ts';
import type { ContextMetrics } from '../context/warm-state.ts';
import type { Deriver, RunMetrics } from '../output/derive.ts';
import { RunWriter } from '../output/run-writer.ts';
import { policiesFor, policyMaker, type PreparedScenario } from '../scenario/prepare.ts';
import type { PolicyCombo } from '../scenario/schema.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import type { HierarchyMetrics } from '../hierarchy/metrics.ts';
import { hierarchySettings } from '../scenario/hierarchy-settings.ts';
import { simulate } from '../sim/simulate.ts';
import { simulateHierarchy } from '../sim/simulate-hierarchy.ts';

export interface RunSummary {
  run: string;
  label: string;
  queue: string;
  placement: string;
  seed: number;
  digest: string;
  events: number;
  records: number;
  wallMs: number;
  metrics: RunMetrics;
  /** Per-tenant shares, Jain's index, preemptions, lost work, MIG fragmentation (src/metrics/fairness.ts). */
  fairness?: ReturnType<Deriver['fairness']>;
  /** Scenarios with `contexts:`: cold and warm starts, their overhead, warm-pool idle GPU·s. */
  contexts?: ContextMetrics;
  /** Combinations with `hierarchy:`: routing, bounces, steals, per-shard utilisation and imbalance (src/hierarchy/metrics.ts). */
  hierarchy?: HierarchyMetrics;
}

/**
 * One simulated run of a combination and seed: writes `<dir>/<label>/seed-<N>/` (events.jsonl,
 * jobs.csv, timeline.csv, each `.gz` with `gzip`) unless `dir` is undefined, and returns its
 * summary. Deterministic: the same inputs give the same files and summary (but `wallMs`) on any
 * thread.
 */
export function runSimTask(o: {
  prep: PreparedScenario;
  nodes: readonly NodeSpec[];
  combo: PolicyCombo;
  label: string;
  seed: number;
  dir: string | undefined;
  /** Write the files gzipped (RunWriter's `gzip`). */
  gzip?: boolean;
  guard?: PolicyGuard;
  say: (line: string) => void;
}): RunSummary {
  const { prep, combo, label, seed } = o;
  // Streamed: a synthetic workload is drawn as the run pulls it, never held whole.
  const jobs = prep.jobStream(seed);
  const run = `${label}/seed-${seed}`;
  // A dry run (no directory) reports the metrics only: no timeline rows kept.
  const writer = new RunWriter(o.dir === undefined ? undefined : join(o.dir, label, `seed-${seed}`), { keepTimeline: false, gzip: o.gzip });
  writer.deriver.weights = new Map(prep.weights);
  const warm = prep.warmState?.(combo);
  const t0 = performance.now();
  const lastNote = { t: t0 };
  const onProgress = (now: number, handled: number) => {
    const t = performance.now();
    if (t - lastNote.t > 1000) {
      lastNote.t = t;
      o.say(`  ${run}: t=${(now / 1000).toFixed(0)}s, ${handled} events`);
    }
  };
  const common = {
    run,
    seed,
    nodes: o.nodes,
    jobs,
    log: writer,
    tenants: prep.tenants,
    headOfLine: prep.settings.headOfLine,
    maxQueue: prep.settings.maxQueue,
    until: prep.until,
    failures: prep.failures,
    guard: o.guard,
    onProgress,
    // Nothing here reads the core's jobs after the run (the summary comes from the log), so ended
    // jobs are dropped with or without files: a dry run's memory stays that of the jobs in flight.
    keepEndedJobs: false,
  };
  let res: { events: number; end: number };
  let hierarchy: HierarchyMetrics | undefined;
  if (combo.hierarchy) {
    const r = simulateHierarchy({ ...common, policies: policyMaker(combo, jobs), scheduler: prep.settings, hierarchy: hierarchySettings(combo.hierarchy) });
    res = r;
    hierarchy = r.metrics;
  } else {
    res = simulate({ ...common, ...policiesFor(combo, jobs), scheduler: warm ? { ...prep.settings, contexts: warm } : prep.settings });
  }
  const digest = writer.close();
  return {
    run,
    label,
    queue: combo.queue,
    placement: combo.placement,
    seed,
    digest,
    events: res.events,
    records: writer.records,
    wallMs: Math.round(performance.now() - t0),
    metrics: writer.deriver.metrics(),
    fairness: writer.deriver.fairness(),
    ...(warm ? { contexts: warm.metrics(res.end) } : {}),
    ...(hierarchy ? { hierarchy } : {}),
  };
}
