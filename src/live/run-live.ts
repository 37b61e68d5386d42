import { writeFileSync } from 'node:fs';
import { scenarioOutputDir, writeStaged } from '../output/out-dir.ts';
import { dirname, join, resolve } from 'node:path';
import '../../policies/index.ts';
import type { JobSpec, JobView } from '../jobs/job.ts';
import { mean, percentileSorted } from '../metrics/stats.ts';
import type { RunMetrics } from '../output/derive.ts';
import { RunWriter } from '../output/run-writer.ts';
import { toCsv } from '../output/csv.ts';
import { validatePolicyParams } from '../scenario/policy-params.ts';
import { comboLabel, loadNodes, loadPlugins, policiesFor, prepareScenario } from '../scenario/prepare.ts';
import { ScenarioError } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import { LiveDriver } from './live-driver.ts';
import { JsonLogger } from './json-log.ts';
import { LiveExecutor, type JobMeasure } from './live-executor.ts';
import { promMetrics } from './prom-metrics.ts';
import { detectSandbox, jobTmpDirs, layerNames } from './sandbox.ts';
import { decisionOrder, simulateTwin, type KindRate } from './twin.ts';
import { LiveSectionSchema, WorkSpecSchema, type WorkSpec } from './work-spec.ts';
import { workerScript } from './worker-entry.ts';
import { mostGpus, warmPoolTooBig } from './warm-pool.ts';

export interface LiveRunOptions {
  readonly file: string;
  readonly timeScale?: number;
  readonly seed?: number;
  readonly out?: string;
  /** Round every fractional GPU request up to whole GPUs (to compare shared vs exclusive placement). */
  readonly exclusive?: boolean;
  readonly progress?: (line: string) => void;
  /** Checks and times policy calls (the CLI's carries the watchdog). */
  readonly guard?: PolicyGuard;
}

export interface LatencyStats {
  readonly n: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

export interface LiveRunSummary {
  readonly scenario: string;
  readonly run: string;
  readonly dir: string;
  readonly layers: readonly string[];
  readonly cgroupUnavailable?: string;
  /** `layer: reason` for each optional isolation layer that is off on this machine. */
  readonly layersUnavailable: readonly string[];
  readonly timeScale: number;
  readonly live: RunMetrics;
  readonly predicted: RunMetrics;
  readonly decisionOrderAgrees: boolean;
  readonly latency: { readonly cold: LatencyStats; readonly warm: LatencyStats };
  readonly rates: Record<string, { jobs: number; flopPerSec: number; overheadMs: number }>;
  /** The same per work shape (src/live/twin.ts `workShape`), which the twin predicts from. */
  readonly shapeRates: Record<string, { jobs: number; flopPerSec: number; overheadMs: number }>;
  readonly backends: Record<string, number>;
  readonly measures: readonly JobMeasure[];
  readonly strays: readonly number[];
}

function latency(ms: number[]): LatencyStats {
  const s = [...ms].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, meanMs: 0, p50Ms: 0, maxMs: 0 };
  return { n: s.length, meanMs: Math.round(mean(s) * 10) / 10, p50Ms: Math.round(percentileSorted(s, 50) * 10) / 10, maxMs: s[s.length - 1] };
}

const CSV_HEADER = ['job', 'attempt', 'kind', 'warm', 'outcome', 'reason', 'backend', 'device', 'gpus', 'submit_to_running_ms', 'run_ms', 'compute_ms', 'flop', 'flop_per_s', 'output_bytes'];

/** live-jobs.csv: one row per attempt; times ms. */
function measuresCsv(ms: readonly JobMeasure[]): string {
  return toCsv(CSV_HEADER, ms.map((m) => [m.jobId, m.attempt, m.kind, m.warm, m.outcome, m.reason, m.backend, m.device, m.gpuEnv, m.submitToRunningMs, m.runMs, m.computeMs, m.flop, m.flopPerSec, m.outputBytes]));
}

/**
 * Runs one scenario live: its first policy combination (or `live.policy`), its first seed, real
 * jobs in sandboxed workers, arrivals in scaled real time. Then simulates the same jobs with
 * durations predicted from the measured work rates and compares. Writes the simulator's files
 * (events.jsonl, jobs.csv, timeline.csv) plus live-jobs.csv, live.json, metrics.prom, log.jsonl.
 */
export async function runLive(scn: Scenario, opts: LiveRunOptions): Promise<LiveRunSummary> {
  const say = opts.progress ?? (() => {});
  const base = dirname(resolve(opts.file));
  const live = scn.live ?? LiveSectionSchema.parse({});
  const timeScale = opts.timeScale ?? live.timeScale;
  await loadPlugins(scn, base, opts.file);
  validatePolicyParams(scn, opts.file); // plugins register policies: names and params are known only now
  const nodes = await loadNodes(scn, base);
  const tooBig = warmPoolTooBig(live.warmPool, mostGpus(nodes), 'live.warmPool');
  if (tooBig) throw new ScenarioError(opts.file, [tooBig]);
  const seed = opts.seed ?? scn.seeds[0];
  const combo = live.policy ? scn.policies.find((c) => comboLabel(c) === live.policy) : scn.policies[0];
  if (!combo) throw new ScenarioError(opts.file, [`live.policy: '${live.policy}' names no entry of policies (have: ${scn.policies.map(comboLabel).join(', ')})`]);
  if (combo.hierarchy) throw new ScenarioError(opts.file, [`policies.${scn.policies.indexOf(combo)}.hierarchy: a scheduler hierarchy runs in the simulator only`]);
  const w = scn.workload;
  if (w.kind !== 'synthetic' && w.kind !== 'trace') throw new ScenarioError(opts.file, [`workload.kind: '${w.kind}' cannot run live (synthetic or trace only)`]);
  const prep = await prepareScenario(scn, nodes, opts.file, base, say);
  const loaded = prep.jobsFor(seed);
  const jobs = opts.exclusive ? loaded.map((j) => (j.gpus > 0 && j.milli < 1000 ? { ...j, milli: 1000 } : j)) : loaded;
  const tenants = prep.tenants;
  const workOf = (j: Pick<JobSpec, 'work' | 'duration'>): WorkSpec =>
    j.work ? WorkSpecSchema.parse(j.work) : { kind: 'sleep', ms: Math.max(0, Math.round(j.duration / timeScale)) };

  // Backfill, gangs, preemption, quotas, MIG, ticks: the same settings as the simulator; node
  // failures: the same list as in simulation, in scaled wall time.
  const { settings, failures } = prep;
  const label = comboLabel(combo) + (opts.exclusive ? '-exclusive' : '');
  const run = `${label}/seed-${seed}`;
  // Written into a temporary sibling and renamed into place once complete (src/output/out-dir.ts):
  // a failed or interrupted live run leaves no half-written output.
  const final = join(opts.out ?? scenarioOutputDir(`${scn.output ?? scn.name}-live`), label, `seed-${seed}`);
  return writeStaged(final, async (dir) => {
    const writer = new RunWriter(dir, { keepLines: true });
    const logLines: string[] = [];
    const logger = new JsonLogger({ write: (l) => logLines.push(l) }).child({ run });
    const script = await workerScript();
    const layers = detectSandbox(live.sandbox, { node: process.execPath, script });
    const names = layerNames(layers, jobTmpDirs(layers, [process.execPath, script]));
    const layersUnavailable = layers.unavailable ?? [];
    say(`isolation: ${names.join(', ')}${layers.cgroupUnavailable ? ` (no cgroup: ${layers.cgroupUnavailable})` : ''}${layersUnavailable.length > 0 ? `; off: ${layersUnavailable.join('; ')}` : ''}`);
    logger.info('isolation', { layers: names, layersUnavailable, ...(layers.cgroupUnavailable ? { cgroupUnavailable: layers.cgroupUnavailable } : {}) });
    let done = 0;
    const driver = new LiveDriver({
      run,
      seed,
      nodes,
      ...policiesFor(combo, jobs),
      log: writer,
      timeScale,
      tenants,
      headOfLine: settings.headOfLine,
      maxQueue: settings.maxQueue,
      coreExtras: settings,
      guard: opts.guard,
      failures,
      logger,
      executor: (emit) =>
        new LiveExecutor({
          emit,
          layers,
          workerScript: script,
          workFor: (j: JobView) => workOf(j),
          defaultTimeoutMs: live.timeoutSec * 1000,
          graceMs: live.graceMs,
          outputLimitBytes: live.outputLimitBytes,
          pidsMax: live.pidsMax,
          minMemoryMiB: live.minMemoryMiB,
          backends: live.backends,
          warmPool: live.warmPool,
          warmGpus: mostGpus(nodes),
          logger,
          onMeasure: (m) => {
            // A stopped attempt (preempted, node lost, cancelled) is not a finished job: a requeued
            // job reports again when a later attempt ends.
            const tag = m.outcome === 'stopped' ? 'stopped' : `${++done}/${jobs.length}`;
            say(`  [${tag}] ${m.jobId} ${m.outcome}${m.reason ? ` (${m.reason})` : ''} ${m.kind} ${m.backend} ${(m.flopPerSec / 1e9).toFixed(2)} GFLOP/s, ${m.warm ? 'warm' : 'cold'} start ${m.submitToRunningMs} ms`);
          },
        }),
    });
    const t0 = performance.now();
    await driver.runToIdle(jobs);
    const wallMs = performance.now() - t0;
    await driver.close();
    const strays = driver.executor.strays();
    writer.close();
    const liveMetrics = writer.deriver.metrics();
    const measures = driver.executor.measures;
    say(`live run done in ${(wallMs / 1000).toFixed(1)} s wall`);

    const twin = simulateTwin({ run, seed, nodes, jobs, workOf, measures, timeScale, ...policiesFor(combo, jobs), tenants, headOfLine: settings.headOfLine, maxQueue: settings.maxQueue, scheduler: settings, failures });
    const a = decisionOrder(writer.lines ?? []);
    const b = decisionOrder(twin.lines);
    const agrees = a.length === b.length && a.every((x, i) => x === b[i]);
    const rounded = (m: ReadonlyMap<string, KindRate>) => Object.fromEntries([...m].map(([k, r]) => [k, { jobs: r.jobs, flopPerSec: Math.round(r.flopPerSec), overheadMs: Math.round(r.overheadMs) }]));
    const rates = rounded(twin.rates.byKind);
    const shapeRates = rounded(twin.rates.byShape);
    const backends: Record<string, number> = {};
    for (const m of measures) backends[`${m.backend} @ ${m.device}`] = (backends[`${m.backend} @ ${m.device}`] ?? 0) + 1;
    const summary: LiveRunSummary = {
      scenario: scn.name,
      run,
      dir: final,
      layers: names,
      ...(layers.cgroupUnavailable ? { cgroupUnavailable: layers.cgroupUnavailable } : {}),
      layersUnavailable,
      timeScale,
      live: liveMetrics,
      predicted: twin.metrics,
      decisionOrderAgrees: agrees,
      latency: { cold: latency(measures.filter((m) => !m.warm && m.submitToRunningMs >= 0).map((m) => m.submitToRunningMs)), warm: latency(measures.filter((m) => m.warm && m.submitToRunningMs >= 0).map((m) => m.submitToRunningMs)) },
      rates,
      shapeRates,
      backends,
      measures,
      strays,
    };
    writeFileSync(join(dir, 'live-jobs.csv'), measuresCsv(measures));
    writeFileSync(join(dir, 'live.json'), JSON.stringify({ ...summary, measures: undefined, wallMs: Math.round(wallMs) }, null, 2) + '\n');
    writeFileSync(join(dir, 'metrics.prom'), promMetrics(summary));
    writeFileSync(join(dir, 'log.jsonl'), logLines.join(''));
    return summary;
  });
}
