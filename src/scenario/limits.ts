import { MAX_EXP, MAX_GPUS_PER_NODE, MAX_NORMAL, MAX_TIME_SEC, clusterSize, heapLimitBytes, memoryProblems } from '../limits.ts';
import type { Scenario } from './schema.ts';

const n = (x: number) => x.toLocaleString('en-US');

/** Scenario-level limits; the generic bounds and memory arithmetic are in src/limits.ts. */

/** The largest duration (s) a synthetic duration distribution can draw (see MAX_EXP). */
export function maxDurationSec(d: Extract<Scenario['workload'], { kind: 'synthetic' }>['duration']): { sec: number; field: string; why: string } {
  switch (d.dist) {
    case 'lognormal':
      return { sec: d.medianSec * Math.exp(d.sigma * MAX_NORMAL), field: 'workload.duration.sigma', why: `medianSec · e^(${MAX_NORMAL.toFixed(2)} · sigma)` };
    case 'pareto': {
      const tail = d.minSec * 2 ** (32 / d.alpha);
      return d.maxSec !== undefined && d.maxSec < tail
        ? { sec: d.maxSec, field: 'workload.duration.maxSec', why: 'maxSec' }
        : { sec: tail, field: 'workload.duration.alpha', why: 'minSec · 2^(32 / alpha); set maxSec to cap it' };
    }
    case 'exponential':
      return { sec: d.meanSec * MAX_EXP, field: 'workload.duration.meanSec', why: `${MAX_EXP.toFixed(1)} · meanSec` };
    case 'constant':
      return { sec: d.sec, field: 'workload.duration.sec', why: 'sec' };
  }
}

/**
 * What is wrong with a (schema-valid) scenario's size: memory for its jobs and nodes, GPUs per
 * node, and synthetic times that could pass MAX_TIME_SEC. One `field: message` per problem; [] if
 * none. A trace's rows and a node file's nodes are counted while they load (src/trace/csv-rows.ts).
 */
export function scenarioLimitProblems(scn: Scenario, heap = heapLimitBytes()): string[] {
  const problems: string[] = [];
  const size = { jobs: 0, nodes: 0, gpus: 0 };
  if ('nodes' in scn.cluster) {
    scn.cluster.nodes.forEach((g, i) => {
      const per = g.gpus.reduce((a, x) => a + x.count, 0);
      if (per > MAX_GPUS_PER_NODE) problems.push(`cluster.nodes.${i}.gpus: ${n(per)} GPUs on one node; at most ${MAX_GPUS_PER_NODE}`);
    });
    Object.assign(size, clusterSize(scn.cluster.nodes));
  }
  const w = scn.workload;
  if (w.kind === 'synthetic') size.jobs = w.jobs;
  else if (w.kind === 'trace' && w.limit !== undefined) size.jobs = w.limit;
  problems.push(...memoryProblems(size, { jobs: w.kind === 'trace' ? 'workload.limit' : 'workload.jobs', nodes: 'cluster.nodes' }, heap));
  if (w.kind === 'synthetic') {
    const d = maxDurationSec(w.duration);
    const est = d.sec * (1 + w.estimateError);
    if (est > MAX_TIME_SEC) {
      const what = est > d.sec ? `, times 1 + estimateError for estimates` : '';
      problems.push(`${d.field}: durations can reach ${est.toExponential(2)} s (${d.why}${what}); at most ${MAX_TIME_SEC.toExponential(0)} s`);
    }
    const lastArrival = w.jobs * w.meanInterarrivalSec * MAX_EXP;
    if (lastArrival > MAX_TIME_SEC) {
      problems.push(`workload.meanInterarrivalSec: ${n(w.jobs)} arrivals ${w.meanInterarrivalSec} s apart on average can reach ${lastArrival.toExponential(2)} s; at most ${MAX_TIME_SEC.toExponential(0)} s`);
    }
  }
  return problems;
}
