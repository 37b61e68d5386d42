import type { QueuePolicy } from '../../src/scheduler/policy.ts';

/**
 * fifo: jobs in the order they were admitted (submit time, then arrival sequence). The core's
 * queue already holds that order, so this returns it unchanged. Pure; O(1).
 */
export const fifo = {
  name: 'fifo',
  order: (view) => view.queue,
  claims: { workConserving: true },
} satisfies QueuePolicy;
