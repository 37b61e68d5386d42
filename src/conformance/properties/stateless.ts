import fc from 'fast-check';
import type { JobSpec } from '../../jobs/job.ts';
import type { GeneratedScenario } from '../arbitraries.ts';
import { scenarioArb } from '../regimes.ts';
import { runSim } from '../sim-run.ts';
import { check, type PropertyDef, type Subject } from '../subject.ts';

/**
 * The same job ids with other attributes: job i takes the shape of job i + ⌈n/2⌉, run three
 * times longer, priority + 3, its tenant renamed. A cache keyed by job id (module-level, or in a
 * closure of the instance) filled during the decoy answers the real case with stale values.
 */
export function decoyOf(sc: GeneratedScenario): GeneratedScenario {
  const n = sc.jobs.length;
  const k = Math.ceil(n / 2);
  const jobs: JobSpec[] = sc.jobs.map((j, i) => {
    const o = sc.jobs[(i + k) % n];
    return { ...o, id: j.id, submit: j.submit, duration: o.duration * 3 + 7, estimate: o.duration * 3 + 7, priority: o.priority + 3, tenant: `${o.tenant}′` };
  });
  const { tenants: _t, ...rest } = sc;
  return { ...rest, jobs };
}

/** The subject with a fresh instance of the policy under test (the same object when there is no factory). */
function freshSubject(s: Subject): Subject {
  if (!s.fresh) return s;
  const p = s.fresh();
  return s.focus === 'queue' ? { ...s, queue: p as Subject['queue'] } : { ...s, placement: p as Subject['placement'] };
}

function firstDiff(a: readonly string[], b: readonly string[]): string {
  const i = a.findIndex((l, k) => l !== b[k]);
  const at = i < 0 ? Math.min(a.length, b.length) : i;
  return `first difference at log line ${at + 1}: ${a[at]?.trim() ?? '(end)'} vs ${b[at]?.trim() ?? '(end)'}`;
}

let namespaces = 0;

/**
 * The case with every job id under a prefix never used before (`ns7/j0`): a cache keyed by job id
 * starts empty for it. A prefix keeps the ids' relative order, so id tie-breaks are unchanged.
 */
function renamed(sc: GeneratedScenario, ns: string): GeneratedScenario {
  return {
    ...sc,
    jobs: sc.jobs.map((j) => ({ ...j, id: `${ns}${j.id}` })),
    ...(sc.cancels ? { cancels: sc.cancels.map((c) => ({ ...c, job: `${ns}${c.job}` })) } : {}),
  };
}

const NS = /ns\d+\//g;
const strip = (lines: readonly string[]) => lines.map((l) => l.replace(NS, ''));

export const statelessProperties: readonly PropertyDef[] = [
  {
    name: 'no-hidden-state',
    description: 'answers depend on the view alone: a case gives the same log on a fresh instance with unseen job ids and on one reused after a decoy run with the same ids',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const same = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((l, i) => l === y[i]);
        // A: a fresh instance, job ids never seen before (nothing cached can apply).
        let a: readonly string[] = strip(runSim(freshSubject(s), renamed(sc, `ns${++namespaces}/`)).lines);
        // B: new ids again, but first a decoy run with those same ids on the same instance.
        let ns = `ns${++namespaces}/`;
        const reused = freshSubject(s);
        runSim(reused, renamed(decoyOf(sc), ns));
        let b: readonly string[] = strip(runSim(reused, renamed(sc, ns)).lines);
        if (same(a, b)) return;
        // A policy may depend on the id text itself (a hash of it): then two fresh namespaces
        // differ with no decoy at all, and the check falls back to the case's own ids.
        const a2 = strip(runSim(freshSubject(s), renamed(sc, `ns${++namespaces}/`)).lines);
        if (!same(a, a2)) {
          ns = '';
          a = runSim(freshSubject(s), sc).lines;
          const again = freshSubject(s);
          runSim(again, decoyOf(sc));
          b = runSim(again, sc).lines;
          if (same(a, b)) return;
        }
        // C: a fresh instance after the decoy: as A means the state lives in the instance.
        const c = strip(runSim(freshSubject(s), ns === '' ? sc : renamed(sc, ns)).lines);
        const inInstance = s.fresh !== undefined && same(c, a);
        const where = inInstance
          ? 'in the policy object (a closure or field: a fresh instance answers as before, the reused one differently)'
          : 'outside the policy object (module-level: even a fresh instance answers differently after another run)';
        check(false, () => `the policy keeps state across calls ${where}: the same case gave a different log after a decoy run with the same job ids; ${firstDiff(a, b)}`);
      }),
  },
];
