import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { JobSpec } from '../jobs/job.ts';
import { MAX_TIME_SEC } from '../limits.ts';
import { checkTraceFile, readCsvRows, TraceFileError, TraceRowError, type BadRowPolicy, type LoadReport } from './csv-rows.ts';

/**
 * Gavel's job traces (stanford-futuredata/gavel), tab-separated, no header:
 *  - 7 fields (the Philly-derived `msr/seed=*\/*.trace`): job_type, command, num_steps_arg,
 *    needs_data_dir, total_steps, arrival_time (s, float), scale_factor (#GPUs);
 *  - 10 fields (`physical_cluster/*.trace`): job_type, command, working_directory, num_steps_arg,
 *    needs_data_dir, total_steps, scale_factor, priority_weight, SLO, arrival_time.
 * The format is detected from the first line's field count.
 *
 * Durations are not in the trace: duration = total_steps / isolated throughput (steps/s) of
 * `(job_type, scale_factor)` on `workerType` from `simulation_throughputs.json` (its key
 * `"('<job_type>', <scale>)"` → `"null"`). The throughput file only has scales 1, 2, 4, 8; a
 * larger or odd scale s uses the largest listed scale s0 ≤ s with linear scaling
 * (throughput·s/s0) and is counted in `extrapolated` — an assumption, since the trace's multi-node
 * jobs have no measured figure. `onMissingThroughput: 'error'` makes that a row error instead.
 */

export const GAVEL_COLUMNS_7 = ['job_type', 'command', 'num_steps_arg', 'needs_data_dir', 'total_steps', 'arrival_time', 'scale_factor'];
export const GAVEL_COLUMNS_10 = [
  'job_type',
  'command',
  'working_directory',
  'num_steps_arg',
  'needs_data_dir',
  'total_steps',
  'scale_factor',
  'priority_weight',
  'SLO',
  'arrival_time',
];

const ThroughputFileSchema = z.record(z.string(), z.record(z.string(), z.looseObject({ null: z.number().nonnegative() })));

/** Isolated throughputs: worker type → job type → scale → steps/s. */
export type Throughputs = ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<number, number>>>;

/** Parses simulation_throughputs.json (only the isolated `"null"` figures are kept). */
export async function loadGavelThroughputs(file: string): Promise<Throughputs> {
  checkTraceFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new TraceFileError(file, `not valid JSON: ${(e as Error).message}`);
  }
  const parsed = ThroughputFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TraceFileError(file, `field '${issue.path.join('.')}': ${issue.message}`);
  }
  const out = new Map<string, Map<string, Map<number, number>>>();
  for (const [worker, jobs] of Object.entries(parsed.data)) {
    const byJob = new Map<string, Map<number, number>>();
    for (const [key, v] of Object.entries(jobs)) {
      const m = /^\('(.*)', (\d+)\)$/.exec(key);
      if (!m) throw new TraceFileError(file, `field '${worker}.${key}': expected a key like "('<job type>', <scale>)"`);
      let scales = byJob.get(m[1]);
      if (!scales) byJob.set(m[1], (scales = new Map()));
      scales.set(Number(m[2]), v.null);
    }
    out.set(worker, byJob);
  }
  return out;
}

/** Steps/s for (jobType, scale) on `worker`, with the documented extrapolation; undefined if none. */
export function isolatedThroughput(
  t: Throughputs,
  worker: string,
  jobType: string,
  scale: number,
): { stepsPerSec: number; extrapolated: boolean } | undefined {
  const scales = t.get(worker)?.get(jobType);
  if (!scales) return undefined;
  // A throughput of 0 means the job does not run on that worker at that scale.
  const exact = scales.get(scale);
  if (exact !== undefined) return exact > 0 ? { stepsPerSec: exact, extrapolated: false } : undefined;
  let s0 = -1;
  for (const [s, v] of scales) if (s <= scale && s > s0 && v > 0) s0 = s;
  if (s0 < 0) return undefined;
  return { stepsPerSec: (scales.get(s0)! * scale) / s0, extrapolated: true };
}

export interface GavelLoadOptions extends Partial<BadRowPolicy> {
  /** Worker type whose isolated throughput sets the duration (default `v100`). */
  readonly workerType?: string;
  readonly onMissingThroughput?: 'extrapolate' | 'error';
  /** Tenant of every job (default: the trace file's base name, i.e. the Philly VC). */
  readonly tenant?: string;
  readonly limit?: number;
}

export interface GavelJob extends JobSpec {
  readonly jobType: string;
  readonly totalSteps: number;
}

async function fieldCount(file: string): Promise<number> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of rl) if (line.trim() !== '') return line.split('\t').length;
  } finally {
    rl.close();
  }
  return 0;
}

/** Loads one Gavel .trace as gpulab jobs (whole GPUs, no CPU/memory request), sorted by arrival. */
export async function loadGavelTrace(
  file: string,
  throughputs: Throughputs,
  opts: GavelLoadOptions = {},
): Promise<{ jobs: GavelJob[]; report: LoadReport & { extrapolated: number } }> {
  checkTraceFile(file);
  const n = await fieldCount(file);
  if (n !== 0 && n !== 7 && n !== 10) throw new TraceRowError(file, 1, '(row)', `expected 7 or 10 tab-separated fields, got ${n}`);
  const columns = n === 10 ? GAVEL_COLUMNS_10 : GAVEL_COLUMNS_7;
  const worker = opts.workerType ?? 'v100';
  if (!throughputs.has(worker)) throw new TraceFileError(file, `workerType: no worker type '${worker}' in the throughput file (have: ${[...throughputs.keys()].join(', ')})`);
  const tenant = opts.tenant ?? basename(file).replace(/\.trace$/, '');
  let extrapolated = 0;
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const jobType = r.str('job_type');
      if (jobType === '') throw new TraceRowError(r.file, r.line, 'job_type', 'empty job type');
      const totalSteps = r.int('total_steps', { min: 1 });
      const scale = r.int('scale_factor', { min: 1, max: 1e6 });
      const arrival = r.seconds('arrival_time');
      const tp = isolatedThroughput(throughputs, worker, jobType, scale);
      if (!tp) throw new TraceRowError(r.file, r.line, 'job_type', `no ${worker} throughput for ('${jobType}', ${scale})`);
      if (tp.extrapolated && opts.onMissingThroughput === 'error') {
        throw new TraceRowError(r.file, r.line, 'scale_factor', `no measured ${worker} throughput for ('${jobType}', ${scale})`);
      }
      if (tp.extrapolated) extrapolated++;
      const sec = totalSteps / tp.stepsPerSec;
      if (!(sec <= MAX_TIME_SEC)) throw new TraceRowError(r.file, r.line, 'total_steps', `${totalSteps} steps at ${tp.stepsPerSec} steps/s take ${sec} s; at most ${MAX_TIME_SEC}`);
      const job: GavelJob = {
        id: `${tenant}-${r.line}`,
        tenant,
        submit: Math.round(arrival * 1000),
        duration: Math.max(1, Math.round(sec * 1000)),
        cpu: 0,
        memory: 0,
        gpus: scale,
        milli: 1000,
        priority: 0,
        jobType,
        totalSteps,
      };
      return job;
    },
    { onBadRow: opts.onBadRow ?? 'stop', delimiter: '\t', columns, limit: opts.limit },
  );
  const jobs = items.map((j, i) => ({ j, i })).sort((a, b) => a.j.submit - b.j.submit || a.i - b.i).map((x) => x.j);
  return { jobs, report: { ...report, extrapolated } };
}
