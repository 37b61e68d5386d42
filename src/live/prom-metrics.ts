import { liveRunFamilies, renderMetrics, type MetricFamily } from './metrics-text.ts';
import type { LiveRunSummary } from './run-live.ts';

/** The Prometheus text file of a live run (`metrics.prom`): the standard live families plus run gauges. Pure. */
export function promMetrics(s: LiveRunSummary): string {
  const attempts = s.measures.map((m) => ({
    tenant: m.tenant,
    outcome: m.outcome,
    backend: m.backend,
    warm: m.warm,
    startLatencyMs: m.submitToRunningMs,
    flops: m.flop,
    seconds: m.computeMs / 1000,
  }));
  const gauges: MetricFamily[] = [
    { kind: 'gauge', name: 'gpulab_live_makespan_seconds', help: 'Makespan in scenario seconds, measured live and predicted by the simulated twin.', samples: [
      { labels: { source: 'measured' }, value: s.live.makespanMs / 1000 },
      { labels: { source: 'predicted' }, value: s.predicted.makespanMs / 1000 },
    ] },
    { kind: 'gauge', name: 'gpulab_live_jct_mean_seconds', help: 'Mean job completion time in scenario seconds.', samples: [
      { labels: { source: 'measured' }, value: s.live.jctMeanMs / 1000 },
      { labels: { source: 'predicted' }, value: s.predicted.jctMeanMs / 1000 },
    ] },
    { kind: 'gauge', name: 'gpulab_live_job_flops_per_second', help: 'Achieved FLOP/s per tensor job.', samples: s.measures.filter((m) => m.flop > 0).map((m) => ({ labels: { job: m.jobId, backend: m.backend, device: m.device }, value: m.flopPerSec })) },
    { kind: 'gauge', name: 'gpulab_live_stray_processes', help: 'Job processes still alive after shutdown (must be 0).', samples: [{ value: s.strays.length }] },
  ];
  return renderMetrics([...liveRunFamilies(attempts), ...gauges]);
}
