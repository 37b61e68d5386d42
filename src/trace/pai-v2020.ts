import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import { MAX_GPUS_PER_NODE } from '../limits.ts';
import { readCsvRows, TraceRowError, type BadRowPolicy, type LoadReport } from './csv-rows.ts';

/**
 * Alibaba PAI cluster-trace-gpu-v2020 tables. The data files are headerless CSVs; their column
 * names come from the `*.header` files shipped with the trace (copied here, checked against the
 * shipped files by test/trace-pai.test.ts). Units in the files: plan_cpu in % of a core (600 = 6
 * vCPU), plan_mem in GB, plan_gpu in % of a GPU (50 = half, 200 = two), cap_cpu in cores,
 * cap_mem in GB; times in seconds (with an offset). Converted to milli-CPU, MiB, milli-GPU, ms.
 */
export const PAI_JOB_COLUMNS = ['job_name', 'inst_id', 'user', 'status', 'start_time', 'end_time'];
export const PAI_TASK_COLUMNS = ['job_name', 'task_name', 'inst_num', 'status', 'start_time', 'end_time', 'plan_cpu', 'plan_mem', 'plan_gpu', 'gpu_type'];
export const PAI_MACHINE_SPEC_COLUMNS = ['machine', 'gpu_type', 'cap_cpu', 'cap_mem', 'cap_gpu'];

export interface PaiJobRow {
  readonly job: string;
  readonly instId: string;
  readonly user: string;
  readonly status: string;
  readonly start?: number;
  readonly end?: number;
}

export interface PaiTaskRow {
  readonly job: string;
  readonly task: string;
  readonly instances: number;
  readonly status: string;
  readonly start?: number;
  readonly end?: number;
  /** Per instance: milli-CPU, MiB, GPU % (100 = one GPU). */
  readonly cpu: number;
  readonly memory: number;
  readonly gpuPct: number;
  /** '' or MISC when any model will do. */
  readonly gpuType: string;
}

type Opts = Partial<BadRowPolicy> & { limit?: number };
const GB = 1024;

type Row = { file: string; line: number; has(c: string): boolean; str(c: string): string; seconds(c: string): number };

function time(r: Row, col: string): number | undefined {
  return r.has(col) ? r.seconds(col) : undefined;
}

/** The job name (required) and the optional start/end times both PAI tables carry. */
function jobAndSpan(r: Row): { job: string; start?: number; end?: number } {
  const job = r.str('job_name');
  if (job === '') throw new TraceRowError(r.file, r.line, 'job_name', 'empty job name');
  const start = time(r, 'start_time');
  const end = time(r, 'end_time');
  return { job, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
}

export async function loadPaiJobTable(file: string, opts: Opts = {}): Promise<{ rows: PaiJobRow[]; report: LoadReport }> {
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const { job, ...span } = jobAndSpan(r);
      return { job, instId: r.str('inst_id'), user: r.str('user'), status: r.str('status'), ...span };
    },
    { onBadRow: opts.onBadRow ?? 'stop', columns: PAI_JOB_COLUMNS, limit: opts.limit },
  );
  return { rows: items, report };
}

export async function loadPaiTaskTable(file: string, opts: Opts = {}): Promise<{ rows: PaiTaskRow[]; report: LoadReport }> {
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const { job, ...span } = jobAndSpan(r);
      if (span.start !== undefined && span.end !== undefined && span.end < span.start) {
        throw new TraceRowError(r.file, r.line, 'end_time', `before start_time (${span.end} < ${span.start})`);
      }
      const row: PaiTaskRow = {
        job,
        task: r.str('task_name'),
        instances: r.int('inst_num', { min: 1, max: 1e6 }),
        status: r.str('status'),
        ...span,
        cpu: Math.round(r.num('plan_cpu', { min: 0, optional: 0 }) * 10),
        memory: Math.round(r.num('plan_mem', { min: 0, optional: 0 }) * GB),
        gpuPct: r.num('plan_gpu', { min: 0, optional: 0 }),
        gpuType: r.has('gpu_type') ? r.str('gpu_type') : '',
      };
      return row;
    },
    { onBadRow: opts.onBadRow ?? 'stop', columns: PAI_TASK_COLUMNS, limit: opts.limit },
  );
  return { rows: items, report };
}

export async function loadPaiMachineSpec(file: string, opts: Opts = {}): Promise<{ nodes: NodeSpec[]; report: LoadReport }> {
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const id = r.str('machine');
      if (id === '') throw new TraceRowError(r.file, r.line, 'machine', 'empty machine name');
      const n = r.int('cap_gpu', { min: 0, max: MAX_GPUS_PER_NODE });
      const model = r.has('gpu_type') ? r.str('gpu_type') : '';
      if (n > 0 && model === '') throw new TraceRowError(r.file, r.line, 'gpu_type', 'required when cap_gpu > 0');
      return {
        id,
        cpu: Math.round(r.num('cap_cpu', { min: 0 }) * 1000),
        memory: Math.round(r.num('cap_mem', { min: 0 }) * GB),
        gpus: Array.from({ length: n }, () => ({ model, capacity: 1000 })),
      } satisfies NodeSpec;
    },
    { onBadRow: opts.onBadRow ?? 'stop', columns: PAI_MACHINE_SPEC_COLUMNS, limit: opts.limit },
  );
  return { nodes: items, report };
}

/**
 * GPU request of one instance from plan_gpu (%): 0 → CPU only; ≤ 100 → one GPU with
 * plan_gpu·10 milli (50 → 500); > 100 → ⌈plan_gpu/100⌉ whole GPUs (250 → 3).
 */
export function paiGpuRequest(gpuPct: number): { gpus: number; milli: number } {
  if (gpuPct <= 0) return { gpus: 0, milli: 0 };
  if (gpuPct <= 100) return { gpus: 1, milli: Math.max(1, Math.round(gpuPct * 10)) };
  return { gpus: Math.ceil(gpuPct / 100), milli: 1000 };
}

/**
 * Time-replay jobs from the task table: one job per task instance (`<job>/<task>/<k>`; no gang
 * scheduling of a task's instances), arriving at start_time − `origin` and running end −
 * start. Tasks without both times are left out and counted. Tenant = the job's user when a job
 * table is given, else 'default'. gpu_type MISC or empty = any model.
 */
export function paiJobs(
  tasks: readonly PaiTaskRow[],
  jobs: readonly PaiJobRow[] = [],
  origin?: number,
): { jobs: JobSpec[]; untimed: number } {
  const user = new Map(jobs.map((j) => [j.job, j.user]));
  let t0 = origin ?? Infinity;
  if (origin === undefined) for (const t of tasks) if (t.start !== undefined) t0 = Math.min(t0, t.start);
  const out: JobSpec[] = [];
  let untimed = 0;
  for (const t of tasks) {
    if (t.start === undefined || t.end === undefined) {
      untimed++;
      continue;
    }
    const g = paiGpuRequest(t.gpuPct);
    const models = t.gpuType !== '' && t.gpuType !== 'MISC' && g.gpus > 0 ? [t.gpuType] : undefined;
    for (let k = 0; k < t.instances; k++) {
      out.push({
        id: `${t.job}/${t.task}/${k}`,
        tenant: user.get(t.job) ?? 'default',
        submit: Math.round((t.start - t0) * 1000),
        duration: Math.max(1, Math.round((t.end - t.start) * 1000)),
        cpu: t.cpu,
        memory: t.memory,
        gpus: g.gpus,
        milli: g.milli,
        ...(models ? { models } : {}),
        priority: 0,
      });
    }
  }
  const sorted = out.map((j, i) => ({ j, i })).sort((a, b) => a.j.submit - b.j.submit || a.i - b.i).map((x) => x.j);
  return { jobs: sorted, untimed };
}
