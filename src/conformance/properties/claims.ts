import fc from 'fast-check';
import { fits } from '../../cluster/fit.ts';
import type { JobView } from '../../jobs/job.ts';
import type { QueuePolicy, SchedulerView, Victim } from '../../scheduler/policy.ts';
import type { GeneratedScenario } from '../arbitraries.ts';
import { fairShareArb, priorityScenarioArb, scenarioArb } from '../regimes.ts';
import { replay } from '../replay.ts';
import { runSim } from '../sim-run.ts';
import { check, claimsOf, type PropertyDef } from '../subject.ts';

/**
 * Properties for what a queue policy claims (`claims`, see subject.ts). Each is checked on the
 * scenario family built to separate policies that keep the claim from plausible ones that do not:
 *
 * - fair-share — the `fair-share` family (regimes.ts): 2–5 tenants with arbitrary names, unequal
 *   weights (max/min ≥ 3, or all equal), each with its own job size (1, 2 or 4 GPUs) and backlog
 *   (1–2× what keeps the cluster busy), all submitted at t=0 tenant after tenant or interleaved,
 *   headOfLine block (so a tenant of 4-GPU jobs is not starved by fragmentation, which no order
 *   can fix). Serving by name, by job count, by backlog, or ignoring weights misses by ≥ 20 points.
 * - priority-order — the `priority` family (a cluster filled with long low-priority jobs, then
 *   bursts of mixed priorities) and the general mix, without quotas, EASY backfill and MIG
 *   reconfiguration (which hold jobs back by design).
 * - preempts-only-lower — the `priority` family and the general mix.
 */

/** Scheduler features that hold a fitting job back on purpose: removed for ordering claims. */
function withoutHolds(sc: GeneratedScenario): GeneratedScenario {
  if (!sc.scheduler) return sc;
  const { quotas: _q, backfill: _b, migReconfigMs: _m, ...scheduler } = sc.scheduler;
  return { ...sc, scheduler };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export const claimProperties: readonly PropertyDef[] = [
  {
    name: 'fair-share',
    description: 'claim fairShare: backlogged tenants get GPU time in proportion to their weights (fair-share family)',
    applies: (s) => claimsOf(s).fairShare === true,
    property: (s) =>
      // Not shrunk: every case is built to separate policies, and shrinking re-runs ~2,000-job
      // simulations; the message names each tenant's share and weight instead.
      fc.property(fc.noShrink(fairShareArb), (sc) => {
        const { recs } = runSim(s, sc, sc.horizon);
        const from = sc.horizon / 4;
        const to = sc.horizon;
        const tenantOf = new Map(sc.jobs.map((j) => [j.id, j.tenant]));
        const got = new Map(sc.tenants!.map((t) => [t.name, 0]));
        const open = new Map<string, { t: number; milli: number }>();
        const close = (job: string, t: number) => {
          const o = open.get(job);
          if (!o) return;
          open.delete(job);
          const span = Math.max(0, Math.min(t, to) - Math.max(o.t, from));
          const name = tenantOf.get(job)!;
          got.set(name, got.get(name)! + span * o.milli);
        };
        for (const r of recs) {
          if (r.ev === 'start') open.set(r.job, { t: r.t, milli: r.milli * (r.gpus.length + (r.parts ?? []).reduce((a, p) => a + p.gpus.length, 0)) });
          else if (r.ev === 'finish' || r.ev === 'preempt' || r.ev === 'node-loss') close(r.job, r.t);
        }
        for (const job of [...open.keys()]) close(job, to);
        const total = [...got.values()].reduce((a, b) => a + b, 0);
        check(total > 0, () => `no GPU time allocated between t=${from / 1000} s and t=${to / 1000} s while every tenant had jobs queued`);
        const wsum = sc.tenants!.reduce((a, t) => a + t.weight, 0);
        const gpus = sc.nodes.reduce((a, n) => a + n.gpus.length, 0);
        const maxJob = sc.jobs.reduce((a, j) => Math.max(a, j.gpus), 0);
        // One job's worth of GPUs (whole jobs cannot split), plus 5 points.
        const tol = maxJob / gpus + 0.05;
        const rows = sc.tenants!.map((t) => ({ t, share: got.get(t.name)! / total, target: t.weight / wsum }));
        const worst = rows.reduce((a, b) => (Math.abs(b.share - b.target) > Math.abs(a.share - a.target) ? b : a));
        check(
          Math.abs(worst.share - worst.target) <= tol,
          () =>
            `tenant ${JSON.stringify(worst.t.name)} (weight ${worst.t.weight}) got ${pct(worst.share)} of the GPU time between t=${from / 1000} s and t=${to / 1000} s ` +
            `while backlogged; its weighted share is ${pct(worst.target)} (tolerance ±${pct(tol)}). All tenants: ` +
            rows.map((r) => `${JSON.stringify(r.t.name)} w=${r.t.weight} got ${pct(r.share)} of ${pct(r.target)}`).join(', '),
        );
      }),
  },
  {
    name: 'priority-order',
    description: 'claim priorityOrder: never starts a lower-priority job while a higher-priority one that fits waits',
    applies: (s) => claimsOf(s).priorityOrder === true,
    property: (s) =>
      fc.property(fc.oneof({ weight: 2, arbitrary: priorityScenarioArb }, { weight: 1, arbitrary: scenarioArb }), (raw) => {
        const sc = withoutHolds(raw);
        const { recs } = runSim(s, sc);
        const prio = new Map(sc.jobs.map((j) => [j.id, j.priority]));
        const spec = new Map(sc.jobs.map((j) => [j.id, j]));
        /** Jobs started at the current instant (single-node, non-MIG: the ones that can be put back exactly). */
        let instant = -1;
        let started: Extract<(typeof recs)[number], { ev: 'start' }>[] = [];
        replay(sc.nodes, recs, {
          atRecord: (_c, i) => {
            const r = recs[i];
            if (r.t !== instant) {
              instant = r.t;
              started = [];
            }
            if (r.ev === 'start' && !r.parts && r.mig === undefined) started.push(r);
            if ((r.ev === 'preempt' || r.ev === 'finish') && started.some((x) => x.job === r.job)) started = started.filter((x) => x.job !== r.job);
          },
          // At the end of each instant: a queued job Q would have fitted had the lower-priority
          // jobs started at this instant been left queued (their grants put back on their nodes).
          atInstantEnd: (cluster, queued, t) => {
            if (started.length === 0) return;
            for (const [q, d] of queued) {
              if (d.mig !== undefined) continue;
              const lower = started.filter((x) => prio.get(x.job)! < prio.get(q)!);
              if (lower.length === 0) continue;
              for (const node of cluster.nodes) {
                const mine = lower.filter((x) => x.node === node.id);
                if (mine.length === 0) continue;
                const gpus = node.gpus.map((g) => ({ ...g, free: g.free + mine.reduce((a, x) => a + (x.gpus.includes(g.index) ? x.milli : 0), 0) }));
                const back = {
                  ...node,
                  cpuFree: node.cpuFree + mine.reduce((a, x) => a + spec.get(x.job)!.cpu, 0),
                  memoryFree: node.memoryFree + mine.reduce((a, x) => a + spec.get(x.job)!.memory, 0),
                  gpuFree: gpus.reduce((a, g) => a + g.free, 0),
                  gpus,
                };
                check(
                  !fits(back, d),
                  () =>
                    `t=${(t / 1000).toFixed(3)} s: started job ${mine[0].job} (priority ${prio.get(mine[0].job)}) while job ${q} (priority ${prio.get(q)}) waited; ` +
                    `${q} fitted on ${node.id} in the place of the lower-priority jobs started there at that instant (${mine.map((x) => x.job).join(', ')})`,
                );
              }
            }
          },
        });
      }),
  },
  {
    name: 'preempts-only-lower',
    description: 'claim preemptsOnlyLower: every victim has a lower priority than the job it makes room for (Victim.for)',
    applies: (s) => claimsOf(s).preemptsOnlyLower === true && typeof s.queue.victims === 'function',
    property: (s) =>
      fc.property(fc.oneof({ weight: 2, arbitrary: priorityScenarioArb }, { weight: 1, arbitrary: scenarioArb }), (sc) => {
        const prio = new Map(sc.jobs.map((j) => [j.id, j.priority]));
        const bad: string[] = [];
        const inner = s.queue;
        const spy = Object.create(inner) as QueuePolicy;
        Object.defineProperty(spy, 'victims', {
          value: (view: SchedulerView, ctx: { now: number; rng: () => number }) => {
            const out: readonly Victim[] = inner.victims!(view, ctx);
            for (const v of Array.isArray(out) ? out : []) {
              const victim = (v?.job as JobView | undefined)?.id;
              if (victim === undefined) continue;
              if (v.for === undefined) bad.push(`t=${(ctx.now / 1000).toFixed(3)} s: victim ${victim} (priority ${prio.get(victim)}) names no job it makes room for (Victim.for)`);
              else if (!(prio.get(v.for)! > prio.get(victim)!)) {
                bad.push(`t=${(ctx.now / 1000).toFixed(3)} s: preempted job ${victim} (priority ${prio.get(victim)}) for job ${v.for} (priority ${prio.get(v.for)}), which is not higher`);
              }
            }
            return out;
          },
        });
        runSim({ ...s, queue: spy }, sc);
        check(bad.length === 0, () => bad[0]);
      }),
  },
];
