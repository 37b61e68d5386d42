import { accountingProperties } from './properties/accounting.ts';
import { determinismProperties } from './properties/determinism.ts';
import { drfProperties } from './properties/drf.ts';
import { claimProperties } from './properties/claims.ts';
import { statelessProperties } from './properties/stateless.ts';
import { lifecycleProperties } from './properties/lifecycle.ts';
import { nodeLossProperties } from './properties/node-loss.ts';
import { placementProperties } from './properties/placement.ts';
import { quotaPreemptionProperties } from './properties/quota-preemption.ts';
import { workConservationProperties } from './properties/work-conservation.ts';
import type { PropertyDef } from './subject.ts';

export { check, Violation, type PropertyDef, type Subject } from './subject.ts';
export { runSim } from './sim-run.ts';

/**
 * Every named property, in report order. Each decides for itself whether it applies to a subject
 * (a placement or queue policy, and what the policy claims); the kit runs those that do.
 */
export const PROPERTIES: readonly PropertyDef[] = [
  ...accountingProperties,
  ...lifecycleProperties,
  ...determinismProperties,
  ...statelessProperties,
  ...placementProperties,
  ...nodeLossProperties,
  ...quotaPreemptionProperties,
  ...workConservationProperties,
  ...claimProperties,
  ...drfProperties,
];
