import type { LiveRunSummary } from './run-live.ts';

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition (version 0.0.4) of a live run's figures. Pure. */
export function promMetrics(s: LiveRunSummary): string {
  const out: string[] = [];
  const metric = (name: string, help: string, type: 'gauge' | 'counter', samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : 0}`);
    }
  };
  const outcomes = new Map<string, number>();
  for (const m of s.measures) outcomes.set(m.outcome, (outcomes.get(m.outcome) ?? 0) + 1);
  metric('gpulab_live_jobs_total', 'Finished job attempts by outcome.', 'counter', [...outcomes].map(([o, n]) => [{ outcome: o }, n]));
  metric('gpulab_live_job_flops', 'Achieved FLOP/s per job.', 'gauge', s.measures.filter((m) => m.flop > 0).map((m) => [{ job: m.jobId, backend: m.backend, device: m.device }, m.flopPerSec]));
  metric('gpulab_live_submit_to_running_ms', 'Mean start latency (scheduler decision to worker running), ms.', 'gauge', [
    [{ pool: 'cold' }, s.latency.cold.meanMs],
    [{ pool: 'warm' }, s.latency.warm.meanMs],
  ]);
  metric('gpulab_live_makespan_seconds', 'Makespan in scenario seconds.', 'gauge', [
    [{ source: 'measured' }, s.live.makespan],
    [{ source: 'predicted' }, s.predicted.makespan],
  ]);
  metric('gpulab_live_jct_mean_seconds', 'Mean job completion time in scenario seconds.', 'gauge', [
    [{ source: 'measured' }, s.live.jctMean],
    [{ source: 'predicted' }, s.predicted.jctMean],
  ]);
  metric('gpulab_live_stray_processes', 'Processes of finished jobs still alive after shutdown (must be 0).', 'gauge', [[{}, s.strays.length]]);
  return out.join('\n') + '\n';
}
