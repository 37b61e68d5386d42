import type { JobSpec } from '../jobs/job.ts';
import { readCsvRows, TraceRowError, type BadRowPolicy, type LoadReport } from './csv-rows.ts';

/**
 * Alibaba cluster-trace-gpu-v2025 `disaggregated_DLRM_trace.csv`: one row per inference instance
 * of a disaggregated DLRM service (role CN = CPU node instance, gpu 0; HN = GPU instance).
 * Units in the file: vCPU, GPUs, % of an RNIC, GiB; times in seconds from trace start, empty
 * (NaN) when the event falls outside the window. Converted here to milli-CPU and MiB.
 */
export interface DlrmInstance {
  readonly id: string;
  readonly role: string;
  readonly app: string;
  /** milli-CPU (request; the limit is kept beside it). */
  readonly cpu: number;
  readonly cpuLimit: number;
  readonly gpus: number;
  readonly gpuLimit: number;
  /** % of an RDMA NIC. */
  readonly rdma: number;
  /** MiB. */
  readonly memory: number;
  readonly memoryLimit: number;
  /** MiB of disk. */
  readonly disk: number;
  /** −1 = unlimited. */
  readonly maxPerNode: number;
  /** Seconds; undefined when outside the window. */
  readonly creation?: number;
  readonly scheduled?: number;
  readonly deletion?: number;
}

const GIB = 1024;

export async function loadDlrmInstances(
  file: string,
  opts: Partial<BadRowPolicy> & { limit?: number } = {},
): Promise<{ instances: DlrmInstance[]; report: LoadReport }> {
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const id = r.str('instance_sn');
      if (id === '') throw new TraceRowError(r.file, r.line, 'instance_sn', 'empty instance id');
      const role = r.str('role');
      if (role !== 'CN' && role !== 'HN') throw new TraceRowError(r.file, r.line, 'role', `expected CN or HN, got '${role}'`);
      const time = (col: string) => (r.has(col) && r.str(col).toLowerCase() !== 'nan' ? r.seconds(col) : undefined);
      const inst: DlrmInstance = {
        id,
        role,
        app: r.str('app_name'),
        cpu: Math.round(r.num('cpu_request', { min: 0 }) * 1000),
        cpuLimit: Math.round(r.num('cpu_limit', { min: 0 }) * 1000),
        gpus: r.int('gpu_request', { min: 0 }),
        gpuLimit: r.int('gpu_limit', { min: 0 }),
        rdma: r.num('rdma_request', { min: 0 }),
        memory: Math.round(r.num('memory_request', { min: 0 }) * GIB),
        memoryLimit: Math.round(r.num('memory_limit', { min: 0 }) * GIB),
        disk: Math.round(r.num('disk_request', { min: 0 }) * GIB),
        maxPerNode: r.int('max_instance_per_node', { min: -1 }),
        ...optional('creation', time('creation_time')),
        ...optional('scheduled', time('scheduled_time')),
        ...optional('deletion', time('deletion_time')),
      };
      if (inst.creation !== undefined && inst.deletion !== undefined && inst.deletion < inst.creation) {
        throw new TraceRowError(r.file, r.line, 'deletion_time', `before creation_time (${inst.deletion} < ${inst.creation})`);
      }
      return inst;
    },
    { onBadRow: opts.onBadRow ?? 'stop', limit: opts.limit },
  );
  return { instances: items, report };
}

function optional<K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, number>);
}

/**
 * Time-replay jobs: an instance created before the window (no creation time) arrives at 0; one
 * still alive at the end (no deletion time) runs until `windowEnd` seconds (default: the latest
 * time in the trace). Whole GPUs; tenant = app name. Sorted stably by arrival.
 */
export function dlrmJobs(instances: readonly DlrmInstance[], windowEnd?: number): JobSpec[] {
  let end = windowEnd ?? 0;
  if (windowEnd === undefined) for (const i of instances) end = Math.max(end, i.creation ?? 0, i.scheduled ?? 0, i.deletion ?? 0);
  const jobs = instances.map((i) => {
    const start = i.creation ?? 0;
    const stop = i.deletion ?? Math.max(end, start);
    return {
      id: i.id,
      tenant: i.app,
      submit: Math.round(start * 1000),
      duration: Math.max(1, Math.round((stop - start) * 1000)),
      cpu: i.cpu,
      memory: i.memory,
      gpus: i.gpus,
      milli: i.gpus > 0 ? 1000 : 0,
      priority: 0,
    } satisfies JobSpec;
  });
  return jobs.map((j, k) => ({ j, k })).sort((a, b) => a.j.submit - b.j.submit || a.k - b.k).map((x) => x.j);
}
