import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import { MAX_TIME_SEC } from '../limits.ts';
import { readCsvRows, TraceFileError, TraceRowError, type BadRowPolicy, type LoadReport } from './csv-rows.ts';

/**
 * Alibaba openb (cluster-trace-gpu-v2023) loaders; format in traces/README.md.
 *
 * Nodes: `sn,cpu_milli,memory_mib,gpu,model` (model empty = CPU-only node; every GPU 1000 milli).
 * Pods: `name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,qos,pod_phase,creation_time,
 * deletion_time,scheduled_time]` — the multigpu files carry only the first five columns.
 * `gpu_spec` is a `|`-separated list of allowed models; repeated models are tolerated (deduplicated).
 */

export interface OpenbPod {
  readonly name: string;
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: number;
  /** Milli-GPU on each GPU; 0 for CPU-only pods. */
  readonly milli: number;
  /** Allowed GPU models (deduplicated, in file order); undefined = any. */
  readonly models: readonly string[] | undefined;
  /** The raw gpu_spec text ('' when absent): part of a pod's shape in the study's typical pods. */
  readonly spec: string;
  readonly qos?: string;
  readonly phase?: string;
  /** Seconds from trace start; absent in the 5-column files. */
  readonly creation?: number;
  readonly deletion?: number;
  readonly scheduled?: number;
}

export async function loadOpenbNodes(file: string, opts: BadRowPolicy = { onBadRow: 'stop' }): Promise<{ nodes: NodeSpec[]; report: LoadReport }> {
  const seen = new Set<string>();
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const id = r.str('sn');
      if (id === '') throw new TraceRowError(r.file, r.line, 'sn', 'empty node name');
      if (seen.has(id)) throw new TraceRowError(r.file, r.line, 'sn', `duplicate node '${id}'`);
      const n = r.int('gpu', { min: 0, max: 64 });
      const model = r.has('model') ? r.str('model') : '';
      if (n > 0 && model === '') throw new TraceRowError(r.file, r.line, 'model', 'required when gpu > 0');
      seen.add(id);
      return {
        id,
        cpu: r.int('cpu_milli', { min: 1 }),
        memory: r.int('memory_mib', { min: 1 }),
        gpus: Array.from({ length: n }, () => ({ model, capacity: 1000 })),
      } satisfies NodeSpec;
    },
    opts,
  );
  return { nodes: items, report };
}

export async function loadOpenbPods(
  file: string,
  opts: BadRowPolicy & { limit?: number },
): Promise<{ pods: OpenbPod[]; report: LoadReport }> {
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const name = r.str('name');
      if (name === '') throw new TraceRowError(r.file, r.line, 'name', 'empty pod name');
      const gpus = r.int('num_gpu', { min: 0, max: 64 });
      let milli = r.int('gpu_milli', { min: 0, max: 1000 });
      if (gpus === 0) milli = 0;
      else if (milli === 0) throw new TraceRowError(r.file, r.line, 'gpu_milli', 'must be > 0 when num_gpu > 0');
      else if (gpus > 1 && milli < 1000) {
        throw new TraceRowError(r.file, r.line, 'gpu_milli', `a ${gpus}-GPU pod must take whole GPUs, got ${milli}`);
      }
      const spec = r.has('gpu_spec') ? r.str('gpu_spec') : '';
      const models = spec === '' ? undefined : [...new Set(spec.split('|').filter(Boolean))];
      const pod: OpenbPod = {
        name,
        cpu: r.int('cpu_milli', { min: 0 }),
        memory: r.int('memory_mib', { min: 0 }),
        gpus,
        milli,
        models: models && models.length > 0 ? models : undefined,
        spec,
        ...(r.has('qos') ? { qos: r.str('qos') } : {}),
        ...(r.has('pod_phase') ? { phase: r.str('pod_phase') } : {}),
        ...(r.has('creation_time') ? { creation: r.int('creation_time', { min: 0, max: MAX_TIME_SEC }) } : {}),
        ...(r.has('deletion_time') ? { deletion: r.int('deletion_time', { min: 0, max: MAX_TIME_SEC }) } : {}),
        ...(r.has('scheduled_time') ? { scheduled: r.int('scheduled_time', { min: 0, max: MAX_TIME_SEC }) } : {}),
      };
      if (pod.creation !== undefined && pod.deletion !== undefined && pod.deletion < pod.creation) {
        throw new TraceRowError(r.file, r.line, 'deletion_time', `before creation_time (${pod.deletion} < ${pod.creation})`);
      }
      return pod;
    },
    opts,
  );
  return { pods: items, report };
}

/**
 * Pods as timed jobs for a time replay: submit at `creation_time`, run `deletion_time −
 * creation_time` (at least 1 ms). Pods without times (the multigpu files) cannot be replayed in
 * time and are an error naming the file. Sorted stably by submit time. Tenant = the pod's qos.
 */
export function openbPodsToJobs(pods: readonly OpenbPod[], file: string): JobSpec[] {
  const jobs: JobSpec[] = pods.map((p) => {
    if (p.creation === undefined || p.deletion === undefined) {
      throw new TraceFileError(file, `pod '${p.name}' has no creation_time/deletion_time: this pod list supports the static-fill experiment only`);
    }
    return {
      id: p.name,
      tenant: p.qos ?? 'default',
      submit: p.creation * 1000,
      duration: Math.max(1, (p.deletion - p.creation) * 1000),
      cpu: p.cpu,
      memory: p.memory,
      gpus: p.gpus,
      milli: p.milli,
      ...(p.models ? { models: p.models } : {}),
      priority: 0,
    };
  });
  return jobs.map((j, i) => ({ j, i })).sort((a, b) => a.j.submit - b.j.submit || a.i - b.i).map((x) => x.j);
}
