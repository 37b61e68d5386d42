import type { QueuePolicy } from '../../src/scheduler/policy.ts';
import { queueOrder } from '../../src/scheduler/queue-index.ts';

/**
 * fifo: jobs in the order they were admitted (submit time, then arrival sequence). The core's
 * queue already holds that order, so this returns it unchanged (`queueOrder`,
 * which the core recognises: it then tries jobs shape by shape, never scanning the queue). Pure; O(1).
 */
export const fifo = {
  name: 'fifo',
  order: queueOrder,
  claims: { workConserving: true },
} satisfies QueuePolicy;
