import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import { MAX_GPUS_PER_NODE, maxRowsInMemory } from '../limits.ts';
import { readCsvRows, TraceFileError, TraceRowError, type BadRowPolicy, type LoadReport } from './csv-rows.ts';

/**
 * Tiresias' public simulator inputs (SymbioticLab/Tiresias, Apache-2.0; see the shared traces
 * README, section 8).
 *
 * Jobs (`60_job.csv`): job_id, num_gpu, submit_time (s), iterations, model_name, duration (s),
 * interval. Each row becomes a whole-GPU job of `num_gpu` GPUs, submitted at `submit_time`,
 * running `duration` s, tenant `default` unless `tenant` says otherwise; CPU and memory are not
 * in the trace and are 0. The trace's `duration` is also the job's estimate (Tiresias' SJF/SRTF
 * baselines assume known durations).
 *
 * Cluster specs (`cluster_spec.csv`, `n32g4.csv` …): num_switch, num_node_p_switch,
 * num_gpu_p_node, num_cpu_p_node, mem_p_node (GB). One row → num_switch × num_node_p_switch
 * identical nodes `s<switch>-n<node>` with labels `switch`, CPUs × 1000 milli, GB × 1024 MiB.
 */

export async function loadTiresiasJobs(
  file: string,
  opts: BadRowPolicy & { limit?: number; tenant?: string },
): Promise<{ jobs: JobSpec[]; report: LoadReport }> {
  const seen = new Set<string>();
  const { items, report } = await readCsvRows(
    file,
    (r) => {
      const id = r.str('job_id');
      if (id === '') throw new TraceRowError(r.file, r.line, 'job_id', 'empty job id');
      if (seen.has(id)) throw new TraceRowError(r.file, r.line, 'job_id', `duplicate job id '${id}'`);
      seen.add(id);
      const duration = Math.max(1, Math.round(r.seconds('duration') * 1000));
      const job: JobSpec = {
        id: `t${id}`,
        tenant: opts.tenant ?? 'default',
        submit: Math.round(r.seconds('submit_time') * 1000),
        duration,
        estimate: duration,
        cpu: 0,
        memory: 0,
        gpus: r.int('num_gpu', { min: 1 }),
        milli: 1000,
        priority: 0,
      };
      return job;
    },
    opts,
  );
  // The trace is in submit order; keep ties stable and refuse anything else loudly.
  for (let i = 1; i < items.length; i++) {
    if (items[i].submit < items[i - 1].submit) {
      throw new TraceRowError(file, i + 2, 'submit_time', `not in submit order (${items[i].submit / 1000} s after ${items[i - 1].submit / 1000} s)`);
    }
  }
  return { jobs: items, report };
}

export async function loadTiresiasCluster(file: string, model = 'V100'): Promise<NodeSpec[]> {
  const { items } = await readCsvRows(
    file,
    (r) => ({
      switches: r.int('num_switch', { min: 1 }),
      nodes: r.int('num_node_p_switch', { min: 1 }),
      gpus: r.int('num_gpu_p_node', { min: 0, max: MAX_GPUS_PER_NODE }),
      cpus: r.int('num_cpu_p_node', { min: 1 }),
      memGb: r.int('mem_p_node', { min: 1 }),
    }),
    { onBadRow: 'stop' },
  );
  if (items.length === 0) throw new TraceRowError(file, 2, '(row)', 'no cluster spec row');
  // Checked before building: num_switch × num_node_p_switch can ask for more nodes than fit in memory.
  const total = items.reduce((a, s) => a + s.switches * s.nodes, 0);
  const max = maxRowsInMemory();
  if (total > max.rows) throw new TraceFileError(file, `${total} nodes (num_switch × num_node_p_switch): ${max.why.replace('jobs', 'nodes')}`);
  const out: NodeSpec[] = [];
  for (const s of items) {
    const wN = String(s.nodes - 1).length;
    for (let sw = 0; sw < s.switches; sw++) {
      for (let n = 0; n < s.nodes; n++) {
        out.push({
          id: `s${sw}-n${String(n).padStart(wN, '0')}`,
          cpu: s.cpus * 1000,
          memory: s.memGb * 1024,
          gpus: Array.from({ length: s.gpus }, () => ({ model, capacity: 1000 })),
          labels: { switch: String(sw) },
        });
      }
    }
  }
  return out;
}
