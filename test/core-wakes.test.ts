import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { LogRecord } from '../src/log/records.ts';
import type { PlacementPolicy } from '../src/scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

/**
 * The core asks its clock for one wake-up per instant, however often a placement answering
 * `wait`, a tick or a MIG layout change asks for the same instant: each such answer used to
 * schedule a wake event of its own (a walk by shape that met the answer was followed by the
 * general pass, which asked again; every later pass asked again), which the run counted as events.
 */

const s = 1000;
const firstFit = placementPolicyFactory('first-fit')({});

/** first-fit, but job W waits until 10 s (asked again on every pass before then). */
const holdsW: PlacementPolicy = {
  name: 'holds-w',
  place: (j, cluster, ctx) => (j.id === 'W' && ctx.now < 10 * s ? { kind: 'wait', until: 10 * s, reason: 'test' } : firstFit.place(j, cluster, ctx)),
};

function run(queue: string) {
  const log: LogRecord[] = [];
  // W at 0; X1, X2, X3 at 1, 2 and 3 s, each running half a second: passes at 0, 1, 1.5, 2, 2.5,
  // 3 and 3.5 s, each asking for a wake-up at 10 s for W.
  const jobs = [job('W').runs(5 * s).build(), ...[1, 2, 3].map((k) => job(`X${k}`).at(k * s).runs(s / 2).build())];
  const res = simulate({ run: 'wakes', seed: 1, nodes: [node('n0', 4)], jobs, queue: queuePolicyFactory(queue)({}), placement: holdsW, log: { append: (r) => log.push(r) }, headOfLine: 'skip' });
  return { res, log };
}

describe('wake-ups', () => {
  it.each(['fifo', 'sjf', 'drf'])('%s: one wake event for an instant asked for on every pass', (queue) => {
    const { res, log } = run(queue);
    // 4 arrivals + 4 completions + 1 wake at 10 s.
    expect(res.events).toBe(9);
    expect(log.at(-1)).toMatchObject({ ev: 'end', events: 9 });
    expect(log.filter((r) => r.ev === 'start').map((r) => `${r.job}@${r.t}`)).toEqual(['X1@1000', 'X2@2000', 'X3@3000', 'W@10000']);
  });

  it('a wake-up asked again after the one before it fired is scheduled again', () => {
    // W waits until 10 s, then (asked again at 10 s) until 20 s: two wake events.
    const twice: PlacementPolicy = {
      name: 'waits-twice',
      place: (j, cluster, ctx) => (ctx.now < 20 * s ? { kind: 'wait', until: ctx.now < 10 * s ? 10 * s : 20 * s, reason: 'test' } : firstFit.place(j, cluster, ctx)),
    };
    const res = simulate({ run: 'wakes', seed: 1, nodes: [node('n0', 1)], jobs: [job('W').runs(s).build()], queue: queuePolicyFactory('fifo')({}), placement: twice, log: { append: () => {} } });
    // 1 arrival + wakes at 10 s and 20 s + 1 completion.
    expect(res.events).toBe(4);
    expect(res.core.jobs.get('W')).toMatchObject({ state: 'succeeded', start: 20 * s });
  });
});
