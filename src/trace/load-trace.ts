import { dirname } from 'node:path';
import type { JobSpec } from '../jobs/job.ts';
import type { TraceWorkload } from '../scenario/schema.ts';
import type { LoadReport } from './csv-rows.ts';
import { dlrmJobs, loadDlrmInstances } from './dlrm-v2025.ts';
import { loadGavelThroughputs, loadGavelTrace } from './gavel.ts';
import { loadGpulabJobs } from './gpulab-csv.ts';
import { loadOpenbPods, openbPodsToJobs } from './openb.ts';
import { loadPaiJobTable, loadPaiTaskTable, paiJobs } from './pai-v2020.ts';
import { resolveTrace } from './resolve.ts';
import { loadTiresiasJobs } from './tiresias.ts';

/**
 * Loads a scenario's `workload: {kind: trace}` as jobs, by `format`. Paths resolve as described
 * in src/trace/resolve.ts (explicit path relative to the scenario folder `base`, then the trace
 * dir, then the manifest download). `notes` are lines for the progress output.
 */
export async function loadTraceJobs(w: TraceWorkload, base: string): Promise<{ jobs: JobSpec[]; report: LoadReport; notes: string[] }> {
  const at = async (p: string): Promise<string> => {
    // resolveTrace returns the local path (older revisions returned { path, source }).
    const r: unknown = await resolveTrace(p, { base });
    return typeof r === 'string' ? r : (r as { path: string }).path;
  };
  const opts = { onBadRow: w.onBadRow, limit: w.limit };
  const format: string = w.format;
  const x = w as TraceWorkload & { throughputs?: string; workerType?: string; jobTable?: string };
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
