import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, isTerminal, transition } from '../src/jobs/lifecycle.ts';

describe('job lifecycle', () => {
  it.each([
    ['pending', 'admit', 'queued'],
    ['pending', 'reject', 'rejected'],
    ['queued', 'start', 'running'],
    ['running', 'succeed', 'succeeded'],
    ['running', 'fail', 'failed'],
    ['running', 'cancel', 'cancelled'],
    ['running', 'preempt', 'preempted'],
    ['preempted', 'requeue', 'queued'],
    ['running', 'timeout', 'timed-out'],
    ['running', 'node-loss', 'preempted'],
    ['queued', 'reject', 'rejected'],
  ] as const)('%s --%s--> %s', (from, ev, to) => {
    expect(transition(from, ev)).toBe(to);
  });

  it('an illegal transition throws naming the state and the event', () => {
    expect(() => transition('succeeded', 'start', 'j7')).toThrow(IllegalTransitionError);
    expect(() => transition('succeeded', 'start', 'j7')).toThrow("job j7: event 'start' in state 'succeeded'");
    expect(() => transition('pending', 'succeed')).toThrow("event 'succeed' in state 'pending'");
  });

  it('node-loss applies to running jobs only', () => {
    for (const s of ['pending', 'queued', 'preempted', 'succeeded', 'failed', 'cancelled', 'rejected', 'timed-out'] as const) {
      expect(() => transition(s, 'node-loss')).toThrow(IllegalTransitionError);
    }
  });

  it('terminal states have no way out', () => {
    for (const s of ['succeeded', 'failed', 'cancelled', 'rejected', 'timed-out'] as const) {
      expect(isTerminal(s)).toBe(true);
      for (const ev of ['admit', 'start', 'succeed', 'cancel', 'requeue'] as const) expect(() => transition(s, ev)).toThrow();
    }
    expect(isTerminal('running')).toBe(false);
  });
});
