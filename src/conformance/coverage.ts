import fc from 'fast-check';
import type { GeneratedScenario } from './arbitraries.ts';
import { registeredSubject } from './kit.ts';
import { fairShareArb, priorityScenarioArb, scenarioArb } from './regimes.ts';
import { runSim } from './sim-run.ts';

/**
 * What the generators actually produce, measured by simulating samples with priority (preempting)
 * over first-fit: queue depth, tenants, preemptions, gangs spanning nodes, jobs rejected because
 * the queue was full, warm and cold starts of jobs with contexts. `npm run conformance -- --coverage` prints it.
 */
export interface Coverage {
  readonly family: string;
  readonly scenarios: number;
  readonly jobs: number;
  /** Longest queue of each scenario: p50, p90, max. */
  readonly queueP50: number;
  readonly queueP90: number;
  readonly queueMax: number;
  /** Scenarios whose queue reached 100 jobs. */
  readonly deep: number;
  readonly tenantsMax: number;
  readonly weighted: number;
  readonly preemptions: number;
  readonly spanningGangs: number;
  readonly queueFullPct: number;
  readonly noStart: number;
  /** Starts of jobs with a context (the contexts family): on a node where it was warm, and cold. */
  readonly warmStarts: number;
  readonly coldStarts: number;
}

function measure(family: string, samples: readonly GeneratedScenario[]): Coverage {
  const s = registeredSubject('queue', 'priority', { preempt: true }).subject;
  const depth: number[] = [];
  let jobs = 0;
  let preemptions = 0;
  let spanning = 0;
  let queueFull = 0;
  let noStart = 0;
  let tenantsMax = 0;
  let weighted = 0;
  let warmStarts = 0;
  let coldStarts = 0;
  for (const sc of samples) {
    const until = (sc as { horizon?: number }).horizon;
    const { recs } = runSim(s, sc, until);
    let q = 0;
    let max = 0;
    let starts = 0;
    for (const r of recs) {
      if (r.ev === 'admit' || r.ev === 'requeue') max = Math.max(max, ++q);
      else if (r.ev === 'start') {
        q--;
        starts++;
        if (r.parts && r.parts.length > 0) spanning++;
        if (r.warm === true) warmStarts++;
        else if (r.warm === false) coldStarts++;
      } else if (r.ev === 'cancel' || (r.ev === 'finish' && r.state === 'rejected')) q = Math.max(0, q - 1);
      else if (r.ev === 'preempt') preemptions++;
      else if (r.ev === 'reject' && r.reason === 'queue-full') queueFull++;
    }
    depth.push(max);
    jobs += sc.jobs.length;
    if (starts === 0) noStart++;
    tenantsMax = Math.max(tenantsMax, new Set(sc.jobs.map((j) => j.tenant)).size);
    if (sc.tenants && new Set(sc.tenants.map((t) => t.weight)).size > 1) weighted++;
  }
  depth.sort((a, b) => a - b);
  const at = (p: number) => depth[Math.min(depth.length - 1, Math.floor(p * depth.length))];
  return {
    family,
    scenarios: samples.length,
    jobs,
    queueP50: at(0.5),
    queueP90: at(0.9),
    queueMax: depth.at(-1) ?? 0,
    deep: depth.filter((d) => d >= 100).length,
    tenantsMax,
    weighted,
    preemptions,
    spanningGangs: spanning,
    queueFullPct: jobs === 0 ? 0 : (100 * queueFull) / jobs,
    noStart,
    warmStarts,
    coldStarts,
  };
}

export function coverage(samples: number, seed: number): Coverage[] {
  return [
    measure('mix (edge + realistic + contexts)', fc.sample(scenarioArb, { numRuns: samples, seed })),
    measure('fair-share', fc.sample(fairShareArb, { numRuns: Math.max(1, Math.ceil(samples / 10)), seed })),
    measure('priority', fc.sample(priorityScenarioArb, { numRuns: Math.max(1, Math.ceil(samples / 4)), seed })),
  ];
}
