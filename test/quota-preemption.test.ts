import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import { Quotas, type TenantQuota } from '../src/quota/quotas.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';
import { overloadNodesArb, PREEMPTING_QUEUES, quotaJobsArb, quotasArb } from './helpers/overload-arbs.ts';

/**
 * A queue policy's own preemption (srtf, las, priority with `preempt`, through planPreemption)
 * beside tenant quotas, as Kueue's withinClusterQueue preemption: a quota tenant's job takes
 * victims of its own tenant only, and only when its quota then admits it.
 */

const s = 1000;

function run(queue: string, nodes: NodeSpec[], jobs: JobSpec[], quotas: TenantQuota[] | undefined, params: Record<string, unknown> = {}): LogRecord[] {
  const log: LogRecord[] = [];
  simulate({
    run: 'qp',
    seed: 1,
    nodes,
    jobs,
    queue: queuePolicyFactory(queue)(params),
    placement: placementPolicyFactory('first-fit')({}),
    log: { append: (r) => log.push(r) },
    scheduler: quotas ? { quotas: new Quotas(quotas) } : {},
  });
  return log;
}

const preempted = (log: LogRecord[]) => log.filter((r) => r.ev === 'preempt').map((r) => `${(r as { job: string }).job}@${r.t}`);
const starts = (log: LogRecord[], id: string) => log.filter((r) => r.ev === 'start' && (r as { job: string }).job === id).map((r) => r.t);

describe('srtf beside tenant quotas', () => {
  // x and y: 1 GPU nominal each, one cohort (2 GPUs), borrowing unlimited.
  const cohort: TenantQuota[] = [
    { tenant: 'x', cohort: 'c', nominal: 1000 },
    { tenant: 'y', cohort: 'c', nominal: 1000 },
  ];

  it('takes a victim of the waiting job’s own tenant, not the longest-running job of another quota tenant', () => {
    // One node, 2 GPUs. t=0: X1 (x, 1000 s) and Y1 (y, 500 s) start. t=10 s: Y2 (y, 10 s) waits.
    // Remaining then: X1 990 s, Y1 490 s, Y2 10 s. Without quotas srtf takes the longest, X1.
    // With them Y2 may take y's jobs only: Y1 (y's usage 1000 − 1000 + 1000 ≤ nominal 1000).
    const jobs = [job('X1').tenant('x').runs(1000 * s).build(), job('Y1').tenant('y').runs(500 * s).build(), job('Y2').tenant('y').at(10 * s).runs(10 * s).build()];
    expect(preempted(run('srtf', [node('n0', 2)], jobs, undefined))).toEqual(['X1@10000']);
    const log = run('srtf', [node('n0', 2)], jobs, cohort);
    expect(preempted(log)).toEqual(['Y1@10000']);
    expect(starts(log, 'Y2')).toEqual([10_000]);
    expect(starts(log, 'X1')).toEqual([0]);
  });

  it('preempts nothing for a job its quota would still hold back', () => {
    // One node, 3 GPUs. t=0: X1 (x, 1000 s) and Y1 (y, 500 s). t=10 s: Y2 (y, 2 GPUs, 10 s):
    // admitted on arrival (2000 ≤ cohort 2000 with nothing running), but held back now. Taking
    // Y1 would make room (2 GPUs free) but the cohort would hold x 1000 + y 2000 = 3000 > 2000:
    // no plan, so Y1 runs on. Y2 starts once X1 ends (1000 s); at 500 s, Y1's end, the cohort
    // would still hold 1000 + 2000.
    const jobs = [job('X1').tenant('x').runs(1000 * s).build(), job('Y1').tenant('y').runs(500 * s).build(), job('Y2').tenant('y').gpus(2).at(10 * s).runs(10 * s).build()];
    const log = run('srtf', [node('n0', 3)], jobs, cohort);
    expect(preempted(log)).toEqual([]);
    expect(starts(log, 'Y1')).toEqual([0]);
    expect(starts(log, 'Y2')).toEqual([1000_000]);
  });

  it('preempts within a tenant at its quota: the shorter job takes the quota from the longer one', () => {
    // x: 1 GPU nominal, no borrowing, a cohort of its own. One node, 2 GPUs. t=0: X1 (1000 s);
    // t=10 s: X2 (10 s) waits though a GPU is free (x is at its quota). Taking X1 brings x's
    // usage to 0, and X2 is admitted: X1 is preempted for it. (Before, a free GPU counted as
    // room: X2 was planned as started, took nothing, and waited for X1's end.)
    const own: TenantQuota[] = [{ tenant: 'x', nominal: 1000, borrowingLimit: 0 }];
    const jobs = [job('X1').tenant('x').runs(1000 * s).build(), job('X2').tenant('x').at(10 * s).runs(10 * s).build()];
    const log = run('srtf', [node('n0', 2)], jobs, own);
    expect(preempted(log)).toEqual(['X1@10000']);
    expect(starts(log, 'X2')).toEqual([10_000]);
  });

  it('counts the jobs planned before it as started: the quota they take is not there for the next', () => {
    // x: 2 GPUs nominal, no borrowing. One node, 3 GPUs. t=0: X1 (1000 s) and X1b (900 s): x at
    // its quota, a GPU free. t=10 s: X2 (10 s) and X3 (20 s) are held back; srtf plans X2 first:
    // it takes X1 (x 1000 + 1000). X3 would fit the free GPU, but with X2 counted x would hold
    // 3000: it takes X1b. Were X2 not counted, X3 would look admitted there and take nothing,
    // and the pass would then hold it back (x at 2000 with X2 and X1b).
    const own: TenantQuota[] = [{ tenant: 'x', nominal: 2000, borrowingLimit: 0 }];
    const jobs = [
      job('X1').tenant('x').runs(1000 * s).build(),
      job('X1b').tenant('x').runs(900 * s).build(),
      job('X2').tenant('x').at(10 * s).runs(10 * s).build(),
      job('X3').tenant('x').at(10 * s).runs(20 * s).build(),
    ];
    const log = run('srtf', [node('n0', 3)], jobs, own);
    expect(preempted(log)).toEqual(['X1@10000', 'X1b@10000']);
    expect(starts(log, 'X2')).toEqual([10_000]);
    expect(starts(log, 'X3')).toEqual([10_000]);
  });

  it('lets jobs of tenants without a quota preempt each other as before', () => {
    // w has no quota: X1 (x, quota) is out of w's reach, W1 (w) is not.
    const jobs = [job('X1').tenant('x').runs(1000 * s).build(), job('W1').tenant('w').runs(500 * s).build(), job('W2').tenant('w').at(10 * s).runs(10 * s).build()];
    expect(preempted(run('srtf', [node('n0', 2)], jobs, [{ tenant: 'x', nominal: 2000 }]))).toEqual(['W1@10000']);
    expect(preempted(run('srtf', [node('n0', 2)], jobs, [{ tenant: 'z', nominal: 2000 }]))).toEqual(['X1@10000']);
  });
});

describe('preempting queue policies beside quota reclaim', () => {
  // Overloads of small clusters, random quotas (tenant w has none). Before, srtf and quota
  // reclaim could take each other's jobs round after round: runs whose events grew without end.
  const runArb = fc.record({ nodes: overloadNodesArb, jobs: quotaJobsArb, quotas: quotasArb, cohorts: fc.boolean() });
  it.each(PREEMPTING_QUEUES)('%s: no job taken across quota tenants, every run ends; without shared cohorts the jobs preempted for start at once', (queue, params) => {
    fc.assert(
      fc.property(runArb, (r) => {
        // Without cohorts no tenant can borrow, so reclaim never names a victim and the rank's
        // preemptions are the only ones. (With cohorts, reclaim may name the same victim for a job
        // ahead in the order, which then takes the room: the log names the first policy's reason.)
        const quotas = r.cohorts ? r.quotas : r.quotas.map(({ cohort: _c, ...q }) => q);
        const log = run(queue, r.nodes, r.jobs, quotas, params);
        const quota = new Set(quotas.map((q) => q.tenant));
        const tenantOf = new Map(r.jobs.map((j) => [j.id, j.tenant]));
        const started = new Set<string>();
        for (const rec of log) if (rec.ev === 'start') started.add(`${rec.job}@${rec.t}`);
        /** Per instant, the jobs preemptions by rank were for. */
        const forAt = new Map<number, Set<string>>();
        for (const rec of log) {
          if (rec.ev !== 'preempt' || rec.reason.startsWith('reclaim:')) continue;
          // srtf:<id>, las:q…>q…:<id>, priority:<id>: the job it was preempted for.
          const w = rec.reason.slice(rec.reason.lastIndexOf(':') + 1);
          const [a, b] = [tenantOf.get(w)!, tenantOf.get(rec.job)!];
          expect(a === b || (!quota.has(a) && !quota.has(b)), `${rec.job} (${b}) taken for ${w} (${a}) at ${rec.t}`).toBe(true);
          forAt.set(rec.t, (forAt.get(rec.t) ?? new Set()).add(w));
        }
        // Every job preempted for starts then, where its plan put it (`Victim.nominated`): the
        // quota admits it with the usage the plan left.
        if (!r.cohorts) {
          for (const [t, ws] of forAt) {
            const now = [...ws].filter((w) => started.has(`${w}@${t}`));
            expect(now.length, `at ${t}, preempted for ${[...ws].join(', ')}; started then: ${now.join(', ') || 'none'}`).toBe(ws.size);
          }
        }
        // Every job ends (the run is not a livelock, nor cut short).
        expect(log.filter((x) => x.ev === 'finish' || x.ev === 'reject').length).toBe(r.jobs.length);
      }),
      { numRuns: Number(process.env.RUNS ?? 150), seed: 53 },
    );
  });
});
