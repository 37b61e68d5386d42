import { dirname } from 'node:path';
import type { JobSpec } from '../jobs/job.ts';
import { MAX_TIME_SEC, maxRowsInMemory } from '../limits.ts';
import { TraceFileError, type LoadReport } from './csv-rows.ts';
import { dlrmJobs, loadDlrmInstances } from './dlrm-v2025.ts';
import { loadGavelThroughputs, loadGavelTrace } from './gavel.ts';
import { loadGpulabJobs } from './gpulab-csv.ts';
import { loadOpenbPods, openbPodsToJobs } from './openb.ts';
import { loadPaiJobTable, loadPaiTaskTable, paiJobs } from './pai-v2020.ts';
import { resolveTrace } from './resolve.ts';
import { loadTiresiasJobs } from './tiresias.ts';


/** What a trace workload says (a scenario's `workload: {kind: trace}`, validated there). */
export interface TraceWorkload {
  readonly kind?: 'trace';
  readonly format: 'gpulab' | 'openb' | 'gavel' | 'dlrm-v2025' | 'pai-v2020' | 'tiresias';
  /** Trace file, relative to the scenario folder `base` (see src/trace/resolve.ts). */
  readonly path: string;
  /** gavel: the throughput file; the worker type whose throughput sets durations. */
  readonly throughputs?: string;
  readonly workerType?: string;
  /** pai-v2020: the job table (`path` is the task table). */
  readonly jobTable?: string;
  readonly onBadRow: 'stop' | 'skip';
  readonly limit?: number;
  readonly arrivalSpeedup?: number;
}

/**
 * Loads a scenario's `workload: {kind: trace}` as jobs, by `format`. Paths resolve as described
 * in src/trace/resolve.ts (explicit path relative to the scenario folder `base`, then the trace
 * dir, then the manifest download). `arrivalSpeedup` then compresses the arrivals (see
 * `speedUpArrivals`). `notes` are lines for the progress output. A trace that yields no job (every
 * row skipped, no timed task), or more than fit in memory, is a TraceFileError naming the file.
 */
export async function loadTraceJobs(w: TraceWorkload, base: string): Promise<{ jobs: JobSpec[]; report: LoadReport; notes: string[] }> {
  const { file, ...r } = await loadByFormat(w, base);
  if (r.jobs.length === 0) {
    const why = [`${r.report.rows} rows`, ...(r.report.skipped ? [`${r.report.skipped} skipped as bad (first: ${r.report.errors[0]?.message})`] : []), ...r.notes];
    throw new TraceFileError(file, `no jobs to run (${why.join('; ')})`);
  }
  const max = maxRowsInMemory();
  if (r.jobs.length > max.rows) throw new TraceFileError(file, `${r.jobs.length} jobs: ${max.why}`);
  const k = w.arrivalSpeedup;
  if (k === undefined || k === 1) return r;
  const jobs = speedUpArrivals(r.jobs, k);
  const last = jobs.reduce((a, j) => Math.max(a, j.submit), 0);
  if (!(last <= MAX_TIME_SEC * 1000)) throw new TraceFileError(file, `workload.arrivalSpeedup ${k} puts the last arrival at ${last / 1000} s; at most ${MAX_TIME_SEC} s`);
  return { ...r, jobs, notes: [...r.notes, `arrivals ${k}× as dense (gaps between submit times ÷ ${k}; durations unchanged)`] };
}

/**
 * The same jobs with the gaps between submit times divided by `k` (> 0), measured from the first
 * submit and rounded to the ms; durations and everything else unchanged, order kept: the usual
 * "load factor" of trace-driven studies, to replay a trace against a cluster it would leave idle.
 * Pure.
 */
export function speedUpArrivals(jobs: readonly JobSpec[], k: number): JobSpec[] {
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`arrival speed-up must be a positive number, got ${k}`);
  let first = Infinity;
  for (const j of jobs) if (j.submit < first) first = j.submit;
  return jobs.map((j) => ({ ...j, submit: first + Math.round((j.submit - first) / k) }));
}

async function loadByFormat(w: TraceWorkload, base: string): Promise<{ jobs: JobSpec[]; report: LoadReport; notes: string[]; file: string }> {
  let file = w.path;
  const at = async (p: string): Promise<string> => {
    // resolveTrace returns the local path (older revisions returned { path, source }).
    const r: unknown = await resolveTrace(p, { base });
    const local = typeof r === 'string' ? r : (r as { path: string }).path;
    if (p === w.path) file = local;
    return local;
  };
  return { ...(await loadFormat(w, at)), file };
}

async function loadFormat(w: TraceWorkload, at: (p: string) => Promise<string>): Promise<{ jobs: JobSpec[]; report: LoadReport; notes: string[] }> {
  const opts = { onBadRow: w.onBadRow, limit: w.limit };
  const format: string = w.format;
  const x = w;
  switch (format) {
    case 'gpulab': {
      const r = await loadGpulabJobs(await at(w.path), opts);
      return { ...r, notes: [] };
    }
    case 'gavel': {
      const file = await at(w.path);
      // Default: simulation_throughputs.json beside the msr/ or physical_cluster/ folder.
      const tp = await loadGavelThroughputs(await at(x.throughputs ?? `${dirname(dirname(file))}/simulation_throughputs.json`).catch(async () => at('gavel/simulation_throughputs.json')));
      const r = await loadGavelTrace(file, tp, { ...opts, workerType: x.workerType });
      return { jobs: r.jobs, report: r.report, notes: r.report.extrapolated ? [`${r.report.extrapolated} jobs with throughput extrapolated from a smaller scale`] : [] };
    }
    case 'openb': {
      // Time replay: arrive at creation_time, run deletion_time − creation_time.
      const file = await at(w.path);
      const r = await loadOpenbPods(file, opts);
      return { jobs: openbPodsToJobs(r.pods, file), report: r.report, notes: [] };
    }
    case 'dlrm-v2025': {
      const r = await loadDlrmInstances(await at(w.path), opts);
      return { jobs: dlrmJobs(r.instances), report: r.report, notes: [] };
    }
    case 'pai-v2020': {
      const t = await loadPaiTaskTable(await at(w.path), opts);
      const j = x.jobTable ? (await loadPaiJobTable(await at(x.jobTable), { onBadRow: w.onBadRow })).rows : [];
      const r = paiJobs(t.rows, j);
      return { jobs: r.jobs, report: t.report, notes: r.untimed ? [`${r.untimed} tasks without start/end time left out`] : [] };
    }
    case 'tiresias': {
      const r = await loadTiresiasJobs(await at(w.path), opts);
      return { ...r, notes: [] };
    }
    default:
      throw new Error(`trace format '${format}' is not handled by loadTraceJobs`);
  }
}
