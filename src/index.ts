/**
 * gpulab's public API: what a user's script or policy file imports from 'gpulab'. Importing it
 * registers the shipped policies. Everything here is TypeScript source: run your script with a
 * TypeScript-aware runner (`npx tsx my-script.ts`), as gpulab's own CLIs do.
 */
import '../policies/index.ts';

// Scenarios: load, validate, run every policy × seed, write outputs.
export { loadScenario, parseScenario, ScenarioError } from './scenario/load.ts';
export type { Scenario } from './scenario/schema.ts';
export { runScenario, type RunOptions, type RunSummary, type ScenarioSummary } from './scenario/run.ts';
export { comboLabel, prepareScenario, type PreparedScenario } from './scenario/prepare.ts';

// One run in process: the simulator, the live driver, the core they share.
export { simulate, type SimInput, type SimResult } from './sim/simulate.ts';
export { simulateHierarchy, type HierarchyInput, type HierarchyResult, type HierarchySettings } from './sim/simulate-hierarchy.ts';
// Scheduler hierarchy: routing policies, their registry and kit, shard summaries.
export type { RoutingContext, RoutingPolicy } from './hierarchy/routing-policy.ts';
export { registerRoutingPolicy, routingPolicyFactory, routingPolicyNames, routingPolicyParams } from './hierarchy/routing-registry.ts';
export { fitsNow, loadOf, type ModelSummary, type ShardSummary } from './hierarchy/summary.ts';
export { checkRouting } from './conformance/routing.ts';
// Job contexts: warm-pool policies, their registry and kit, and the warm state they size.
export type { KeepDecision, ReleasedInstance, WarmPoolPolicy, WarmPoolView } from './context/warm-pool-policy.ts';
export { registerWarmPoolPolicy, warmPoolPolicyFactory, warmPoolPolicyNames, warmPoolPolicyParams } from './context/warm-pool-registry.ts';
export { WarmState, type ContextSettings } from './context/warm-state.ts';
export { checkWarmPool } from './conformance/warm-pool.ts';
export { runLive, type LiveRunOptions, type LiveRunSummary } from './live/run-live.ts';
export { wireCore, admissionChain, type SchedulerSettings, type WireInput, type Wired } from './wiring/wire-core.ts';
export { SchedulerCore, type CoreOptions, type Decision, type TenantConfig } from './scheduler/core.ts';

// Writing policies: the extension points, the registry, the building blocks, and zod for params schemas.
export { z } from 'zod';
export * from './scheduler/registry.ts';
export type {
  AdmissionOutcome,
  AdmissionPolicy,
  PlacementOutcome,
  PlacementPolicy,
  PolicyContext,
  PreemptionPolicy,
  QueuePolicy,
  SchedulerView,
  TenantView,
  Victim,
} from './scheduler/policy.ts';
export { PolicyError, PolicyGuard, type GuardOptions } from './scheduler/policy-guard.ts';
export { canEverRun, neverFits, queueBound } from './scheduler/admission.ts';
export { byLeastLoss, planChecks, planPreemption, releaseUntilFits, scratchCluster, type PlanOptions } from './scheduler/preempt-kit.ts';
export { byKey, queuedByKey, type QueueKey } from './scheduler/keyed-queue.ts';
export { fairPicks, queuedFairly, queuedInRounds, roundPicks, type Share, type Usage } from './scheduler/fair-walk.ts';
export { placeByScore, unfit, type Score } from './scheduler/placement-kit.ts';
export { anyPlacement, placeSpanning } from './scheduler/gang.ts';
export { fits, fitsEmpty, pickGpus, placeOn, usableGpus, type GpuOrder } from './cluster/fit.ts';
export { estimateOf, expectedEnd, heldMilli } from './jobs/estimate.ts';
export { interruption, type PreemptionCost } from './scheduler/interruption.ts';
export { Quotas, type TenantQuota } from './quota/quotas.ts';
export { quotaAdmission } from './quota/admission.ts';
export { quotaReclaim, reclaimVictims } from './quota/reclaim.ts';

// The model: cluster, jobs, seeded streams.
export { AllocationError, Cluster } from './cluster/cluster.ts';
export type { ClusterView, Demand, GpuGrant, GpuSpec, GpuView, NodeSpec, NodeView, Placement, PlacementPart } from './cluster/types.ts';
export type { Job, JobSpec, JobView } from './jobs/job.ts';
export { RngStreams, type Rng } from './engine/rng.ts';

// The event log and what is derived from it.
export * from './log/records.ts';
export { RunWriter } from './output/run-writer.ts';
export { Deriver, type JobRow, type RunMetrics, type TimelineRow } from './output/derive.ts';
export { deriveFromLog } from './output/read-log.ts';

// Sessions (issue 14): templates, sandboxed session workers, warm pools, the manager, crash recovery.
export * from './sessions/index.ts';
