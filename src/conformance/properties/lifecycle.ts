import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { isTerminal, type JobState } from '../../jobs/lifecycle.ts';
import type { LogRecord } from '../../log/records.ts';
import { Quotas } from '../../quota/quotas.ts';
import type { GeneratedScenario } from '../arbitraries.ts';
import { scenarioArb } from '../regimes.ts';
import { runSim } from '../sim-run.ts';
import { check, type PropertyDef } from '../subject.ts';

/**
 * Jobs a quota can never admit, whatever else runs (their demand alone exceeds the tenant's
 * nominal + borrowing limit or its cohort's nominal): documented to stay queued.
 */
function quotaStuck(sc: GeneratedScenario): Set<string> {
  const out = new Set<string>();
  const list = sc.scheduler?.quotas;
  if (!list) return out;
  const q = new Quotas(list);
  for (const j of sc.jobs) {
    const demand = j.mig !== undefined ? 0 : j.gpus * j.milli;
    if (q.admit(j.tenant, demand, () => 0).kind === 'over' || (j.mig !== undefined && q.quota(j.tenant) !== undefined)) out.add(j.id);
  }
  return out;
}

export const lifecycleProperties: readonly PropertyDef[] = [
  {
    name: 'terminal-once',
    description: 'every job ends in exactly one terminal state; none is lost, none runs twice at once',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const { recs, res } = runSim(s, sc);
        const ends = new Map<string, number>();
        const running = new Set<string>();
        for (const r of recs) {
          if (r.ev === 'start') {
            check(!running.has(r.job), () => `t=${r.t}: job ${r.job} started while already running`);
            running.add(r.job);
          }
          // A preempted or node-lost job stops running and may start again (a new attempt); it is not terminal.
          if (r.ev === 'preempt' || r.ev === 'node-loss') running.delete(r.job);
          if (r.ev === 'finish' || r.ev === 'reject') {
            running.delete(r.job);
            ends.set(r.job, (ends.get(r.job) ?? 0) + 1);
          }
        }
        const stuck = quotaStuck(sc);
        for (const j of sc.jobs) {
          if (stuck.has(j.id) && ends.get(j.id) === undefined) continue;
          check(ends.get(j.id) === 1, () => (ends.get(j.id) === undefined ? `job ${j.id} never ended: it was still queued or running when the run was over (left out of every order, or stuck)` : `job ${j.id} ended ${ends.get(j.id)} times`));
          const state = res.core.jobs.get(j.id)?.state;
          check(state !== undefined && isTerminal(state), () => `job ${j.id} ended in non-terminal state ${state}`);
        }
        check(res.core.jobs.size === sc.jobs.length, () => `${sc.jobs.length} submitted, ${res.core.jobs.size} known`);
      }),
  },
  {
    name: 'time-monotone',
    description: 'simulated time never goes backwards; no job starts before it is submitted',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const { recs } = runSim(s, sc);
        const submit = new Map<string, number>();
        for (let i = 1; i < recs.length; i++) {
          check(recs[i].t >= recs[i - 1].t, () => `record ${i} at t=${recs[i].t} after t=${recs[i - 1].t}`);
          const r = recs[i];
          if (r.ev === 'arrival') {
            const spec = sc.jobs.find((j) => j.id === r.job)!;
            check(r.t === spec.submit, () => `job ${r.job} arrived at t=${r.t}, submitted for ${spec.submit}`);
            submit.set(r.job, r.t);
          }
          if (r.ev === 'start') check(r.t >= submit.get(r.job)!, () => `job ${r.job} started at t=${r.t} before its submit`);
        }
      }),
  },
  {
    name: 'decisions-logged',
    description: 'every decision the core applied (admit/reject, start, stop) appears in the log, as applied',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const { recs, res } = runSim(s, sc);
        const starts = new Map<string, Extract<LogRecord, { ev: 'start' }>[]>();
        const final = new Map<string, JobState>();
        const admission = new Map<string, string[]>();
        for (const r of recs) {
          if (r.ev === 'start') starts.set(r.job, [...(starts.get(r.job) ?? []), r]);
          if (r.ev === 'finish') final.set(r.job, r.state);
          if (r.ev === 'reject') final.set(r.job, 'rejected');
          if (r.ev === 'admit' || r.ev === 'reject') admission.set(r.job, [...(admission.get(r.job) ?? []), r.ev]);
        }
        const stuck = quotaStuck(sc);
        for (const j of res.core.jobs.values()) {
          const adm = admission.get(j.id) ?? [];
          if (stuck.has(j.id) && j.state === 'queued') {
            check(final.get(j.id) === undefined && adm.length === 1, () => `job ${j.id}: held by its quota, yet logged as ${final.get(j.id)}`);
            continue;
          }
          check(adm.length === 1, () => `job ${j.id}: admission decisions logged: [${adm.join(', ')}], expected exactly one`);
          const st = starts.get(j.id) ?? [];
          check(st.length === j.attempt, () => `job ${j.id}: ${j.attempt} starts applied, ${st.length} logged`);
          check(final.get(j.id) === j.state, () => (final.get(j.id) === undefined ? `job ${j.id} never ended: still ${j.state} when the run was over` : `job ${j.id}: state ${j.state}, log says ${final.get(j.id)}`));
          if (j.placement) {
            const last = st.at(-1)!;
            check(
              last.node === sc.nodes[j.placement.node].id && isDeepStrictEqual(last.gpus, j.placement.gpus.map((g) => g.gpu)),
              () => `job ${j.id}: logged placement differs from applied placement`,
            );
          }
        }
      }),
  },
];
