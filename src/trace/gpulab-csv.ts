import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import { readCsvRows, TraceRowError, type BadRowPolicy, type LoadReport } from './csv-rows.ts';
import { MAX_GPUS_PER_NODE } from '../limits.ts';

/**
 * gpulab's generic CSV formats (documented in traces/README.md).
 *
 * Jobs: id,tenant,submit_s,duration_s,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_models][,priority][,estimate_s]
 * Nodes: id,cpu_milli,memory_mib,num_gpu,gpu_model[,gpu_milli]
 */

export async function loadGpulabJobs(
  file: string,
  opts: BadRowPolicy & { limit?: number },
): Promise<{ jobs: JobSpec[]; report: LoadReport }> {
  const seen = new Set<string>();
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const id = r.str('id');
      if (id === '') throw new TraceRowError(r.file, r.line, 'id', 'empty job id');
      if (seen.has(id)) throw new TraceRowError(r.file, r.line, 'id', `duplicate job id '${id}'`);
      const gpus = r.int('num_gpu', { min: 0 });
      const milli = gpus === 0 ? 0 : r.int('gpu_milli', { min: 1, max: 1000 });
      const models = r.has('gpu_models') ? r.str('gpu_models').split('|').filter(Boolean) : undefined;
      const duration = Math.max(1, Math.round(r.seconds('duration_s') * 1000));
      const job: JobSpec = {
        id,
        tenant: r.has('tenant') ? r.str('tenant') : 'default',
        submit: Math.round(r.seconds('submit_s') * 1000),
        duration,
        cpu: r.int('cpu_milli', { min: 0 }),
        memory: r.int('memory_mib', { min: 0 }),
        gpus,
        milli,
        ...(models && models.length > 0 ? { models } : {}),
        priority: r.int('priority', { optional: 0 }),
        ...(r.has('estimate_s') ? { estimate: Math.max(1, Math.round(r.seconds('estimate_s') * 1000)) } : {}),
      };
      seen.add(id);
      return job;
    },
    opts,
  );
  // Stable sort by submit time: rows may be in any order in the file.
  const jobs = items.map((j, i) => ({ j, i })).sort((a, b) => a.j.submit - b.j.submit || a.i - b.i).map((x) => x.j);
  return { jobs, report };
}

export async function loadGpulabNodes(file: string): Promise<NodeSpec[]> {
  const seen = new Set<string>();
  const { items } = await readCsvRows(
    file,
    (r) => {
      const id = r.str('id');
      if (id === '') throw new TraceRowError(r.file, r.line, 'id', 'empty node id');
      if (seen.has(id)) throw new TraceRowError(r.file, r.line, 'id', `duplicate node id '${id}'`);
      seen.add(id);
      const n = r.int('num_gpu', { min: 0, max: MAX_GPUS_PER_NODE });
      const model = n > 0 ? r.str('gpu_model') : '';
      if (n > 0 && model === '') throw new TraceRowError(r.file, r.line, 'gpu_model', 'required when num_gpu > 0');
      const capacity = r.int('gpu_milli', { min: 1, optional: 1000 });
      return {
        id,
        cpu: r.int('cpu_milli', { min: 1 }),
        memory: r.int('memory_mib', { min: 1 }),
        gpus: Array.from({ length: n }, () => ({ model, capacity })),
      } satisfies NodeSpec;
    },
    { onBadRow: 'stop' },
  );
  return items;
}
