import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { warmPoolPolicyFactory } from '../src/context/warm-pool-registry.ts';
import { WarmState } from '../src/context/warm-state.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { parseLogRecord, type LogRecord } from '../src/log/records.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { node } from './helpers/builders.ts';

// Invariants of context-aware runs over generated clusters, workloads, costs and policies.
const s = 1000;
const jobArb = fc.record({
  submit: fc.integer({ min: 0, max: 30 }),
  dur: fc.integer({ min: 1, max: 20 }),
  gpus: fc.integer({ min: 1, max: 2 }),
  context: fc.constantFrom('a', 'b', 'c', undefined),
});
const caseArb = fc.record({
  nodes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  jobs: fc.array(jobArb, { minLength: 1, maxLength: 14 }),
  coldSec: fc.integer({ min: 0, max: 10 }),
  warmSec: fc.integer({ min: 0, max: 3 }),
  placement: fc.constantFrom(['best-fit', {}], ['affinity', {}], ['affinity-wait', { waitSec: 5 }], ['affinity-wait', { waitSec: 30 }]),
  pool: fc.constantFrom(['fixed', { perContext: 1 }], ['fixed', { perContext: 0 }], ['idle-timeout', { idleSec: 8 }], ['demand-proportional', { windowSec: 20, horizonSec: 10 }]),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function run(c: Case) {
  const jobs: JobSpec[] = [...c.jobs]
    .sort((x, y) => x.submit - y.submit)
    .map((j, i) => ({ id: `j${i}`, tenant: 't', submit: j.submit * s, duration: j.dur * s, priority: 0, cpu: 1, memory: 1, gpus: j.gpus, milli: 1000, ...(j.context ? { context: j.context } : {}) }));
  const warm = new WarmState({ coldMs: c.coldSec * s, warmMs: Math.min(c.warmSec, c.coldSec) * s }, warmPoolPolicyFactory(c.pool[0] as string)(c.pool[1] as Record<string, unknown>));
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'p',
    seed: 1,
    nodes: c.nodes.map((g, i) => node(`n${i}`, g)),
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory(c.placement[0] as string)(c.placement[1] as Record<string, unknown>),
    log,
    scheduler: { contexts: warm },
  });
  const digest = log.close();
  const records = log.lines!.flatMap((l) => {
    const o = parseLogRecord(l, 'p');
    return o.kind === 'record' ? [o.record] : [];
  });
  return { jobs, records, digest, metrics: warm.metrics(res.end) };
}

describe('context-aware runs (generated cases)', () => {
  it('every admitted job succeeds; a start costs its overhead once; warm only where its context ran before; same case, same log', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = run(c);
        const spec = new Map(r.jobs.map((j) => [j.id, j]));
        const starts = new Map<string, Extract<LogRecord, { ev: 'start' }>>();
        /** context → nodes where a job of it finished (instances released there), by time. */
        const released: { context: string; node: string; t: number }[] = [];
        let withContext = 0;
        for (const x of r.records) {
          if (x.ev === 'start') {
            starts.set(x.job, x);
            const j = spec.get(x.job)!;
            expect(x.context).toBe(j.context);
            if (j.context !== undefined) {
              withContext++;
              expect(x.overhead).toBe(x.warm ? Math.min(c.warmSec, c.coldSec) * s : c.coldSec * s);
              if (x.warm) expect(released.some((e) => e.context === j.context && e.node === x.node && e.t <= x.t)).toBe(true);
            }
          }
          if (x.ev === 'finish') {
            expect(x.state === 'succeeded' || x.state === 'rejected').toBe(true);
            const st = starts.get(x.job);
            if (x.state === 'succeeded' && st) {
              // Run time = duration + the start overhead (no preemption under fifo).
              expect(x.t - st.t).toBe(spec.get(x.job)!.duration + (st.overhead ?? 0));
              const ctx = spec.get(x.job)!.context;
              if (ctx !== undefined) released.push({ context: ctx, node: st.node, t: x.t });
            }
          }
        }
        expect(r.metrics.coldStarts + r.metrics.warmStarts).toBe(withContext);
        expect(r.metrics.idleGpuSec).toBeGreaterThanOrEqual(0);
        expect(run(c).digest).toBe(r.digest);
      }),
      { numRuns: 150, seed: 14 },
    );
  });
});
