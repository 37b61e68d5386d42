import type { QueuePolicy, TenantView } from '../../src/scheduler/policy.ts';
import { fairOrder, fairOrderLazily, type Usage } from './fair-order.ts';

/**
 * weighted-fair: weighted fair share of GPUs between tenants, as in the fair-share ordering of
 * Kueue's fair sharing and YuniKorn's fair queue sorting (share = usage / weight) and the
 * weighted max-min fairness of WFQ (Demers, Keshav & Shenker 1989). The tenant furthest below its
 * weighted share — lowest GPU in use / weight, counting jobs already placed ahead in this order —
 * goes next; within a tenant, admission order; ties by tenant name. With backlogged tenants of
 * equal weight, allocations converge to equal shares as jobs finish. Pure.
 *
 * Example: A uses 4000, weight 2 → 2000; B uses 1000, weight 1 → 1000: B goes first; after a
 * 2000-milli job of B, B's share is 3000 > 2000, so A's head job goes next.
 */
const share = (t: TenantView, u: Usage) => u.gpu / t.weight;

export const weightedFair = {
  name: 'weighted-fair',
  order: (view) => fairOrder(view, share),
  lazyOrder: (view) => fairOrderLazily(view, share),
  claims: { workConserving: true, fairShare: true },
} satisfies QueuePolicy;
