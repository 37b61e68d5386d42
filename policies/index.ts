/**
 * The shipped policies, registered by name. Importing this module registers them once.
 * A user policy registers itself the same way (see README, "Writing a policy").
 */
import { registerOnce, registerPlacementPolicy, registerQueuePolicy } from '../src/scheduler/registry.ts';
import { bestFit } from './placement/best-fit.ts';
import { firstFit } from './placement/first-fit.ts';
import { bestFitStudy } from './placement/best-fit-study.ts';
import { dotProduct } from './placement/dot-product.ts';
import { FgdParams, fgdFactory } from './placement/fgd.ts';
import { gpuClustering } from './placement/gpu-clustering.ts';
import { gpuPacking } from './placement/gpu-packing.ts';
import { random } from './placement/random.ts';
import { worstFit } from './placement/worst-fit.ts';
import { fifo } from './queue/fifo.ts';
import { drf } from './queue/drf.ts';
import { las, LasParams } from './queue/las.ts';
import { priority, PriorityParams } from './queue/priority.ts';
import { roundRobin } from './queue/round-robin.ts';
import { sjf } from './queue/sjf.ts';
import { srtf } from './queue/srtf.ts';
import { weightedFair } from './queue/weighted-fair.ts';
import { migBestFit } from './placement/mig-best-fit.ts';
import { affinity } from './placement/affinity.ts';
import { affinityWait, AffinityWaitParams } from './placement/affinity-wait.ts';
import { registerWarmPoolPolicy } from '../src/context/warm-pool-registry.ts';
import { fixed, FixedParams } from './warm-pool/fixed.ts';
import { idleTimeout, IdleTimeoutParams } from './warm-pool/idle-timeout.ts';
import { demandProportional, DemandProportionalParams } from './warm-pool/demand-proportional.ts';
import { registerRoutingPolicy } from '../src/hierarchy/routing-registry.ts';
import { leastLoaded } from './routing/least-loaded.ts';
import { bestFitBySummary } from './routing/best-fit-by-summary.ts';
import { tenantAffinity, TenantAffinityParams } from './routing/tenant-affinity.ts';
import { randomRouting } from './routing/random.ts';
import { powerOfTwo, PowerOfTwoParams } from './routing/power-of-two.ts';

// Once per process, even when a second copy of this module is loaded (see registerOnce).
// A policy registered without `params` takes none: any key in a scenario's params is an error.
registerOnce('gpulab/shipped-policies', () => {
  registerQueuePolicy('fifo', () => fifo);
  registerQueuePolicy('priority', priority, { params: PriorityParams });
  registerQueuePolicy('sjf', () => sjf);
  registerQueuePolicy('srtf', () => srtf);
  registerQueuePolicy('las', las, { params: LasParams });
  registerQueuePolicy('round-robin', () => roundRobin);
  registerQueuePolicy('weighted-fair', () => weightedFair);
  registerQueuePolicy('drf', () => drf);
  registerPlacementPolicy('mig-best-fit', () => migBestFit);
  registerPlacementPolicy('first-fit', () => firstFit);
  registerPlacementPolicy('random', () => random);
  registerPlacementPolicy('worst-fit', () => worstFit);
  registerPlacementPolicy('dot-product', () => dotProduct);
  registerPlacementPolicy('gpu-packing', () => gpuPacking);
  registerPlacementPolicy('gpu-clustering', () => gpuClustering);
  registerPlacementPolicy('best-fit-study', () => bestFitStudy);
  registerPlacementPolicy('fgd', fgdFactory, { params: FgdParams });
  registerPlacementPolicy('best-fit', () => bestFit);
  registerPlacementPolicy('affinity', () => affinity);
  registerPlacementPolicy('affinity-wait', affinityWait, { params: AffinityWaitParams });
  registerWarmPoolPolicy('fixed', fixed, { params: FixedParams });
  registerWarmPoolPolicy('idle-timeout', idleTimeout, { params: IdleTimeoutParams });
  registerWarmPoolPolicy('demand-proportional', demandProportional, { params: DemandProportionalParams });
  registerRoutingPolicy('least-loaded', () => leastLoaded);
  registerRoutingPolicy('best-fit-by-summary', () => bestFitBySummary);
  registerRoutingPolicy('tenant-affinity', tenantAffinity, { params: TenantAffinityParams });
  registerRoutingPolicy('random', () => randomRouting);
  registerRoutingPolicy('power-of-two', powerOfTwo, { params: PowerOfTwoParams });
});
