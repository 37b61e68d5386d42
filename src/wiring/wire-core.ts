import { Cluster } from '../cluster/cluster.ts';
import type { NodeSpec } from '../cluster/types.ts';
import { RngStreams } from '../engine/rng.ts';
import type { EventLog } from '../log/records.ts';
import { quotaAdmission } from '../quota/admission.ts';
import type { Quotas } from '../quota/quotas.ts';
import { quotaReclaim } from '../quota/reclaim.ts';
import { neverFits, queueBound } from '../scheduler/admission.ts';
import type { Clock } from '../scheduler/clock.ts';
import { SchedulerCore, type CoreOptions, type TenantConfig } from '../scheduler/core.ts';
import type { Executor } from '../scheduler/executor.ts';
import { FailureProcess, hasFailures, type FailureSpec } from '../scheduler/failures.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import type { AdmissionPolicy, PlacementPolicy, PreemptionPolicy, QueuePolicy } from '../scheduler/policy.ts';

/**
 * Scheduler settings in core units (ms, milli-GPU): what a scenario's `scheduler:` section and
 * its tenants' quotas become. The same object configures a simulated and a live run.
 */
export interface SchedulerSettings extends Pick<CoreOptions, 'headOfLine' | 'backfill' | 'gang' | 'preemption' | 'migReconfigMs' | 'tickMs' | 'onNodeLoss' | 'maxNodeLosses' | 'forgetEnded' | 'contexts'> {
  /** Bounded queue: arrivals beyond this many queued jobs are rejected with `queue-full`. */
  readonly maxQueue?: number;
  /** Per-tenant quotas in cohorts (Kueue semantics): adds the `quota` admission and `quota-reclaim` preemption policies. */
  readonly quotas?: Quotas;
  /** Further admission policies, asked after the built-in ones. */
  readonly admission?: readonly AdmissionPolicy[];
  /** Further preemption policies, asked after quota reclaim. */
  readonly preemptors?: readonly PreemptionPolicy[];
}

export interface WireInput {
  readonly run: string;
  readonly mode: 'sim' | 'live';
  readonly seed: number;
  readonly nodes: readonly NodeSpec[];
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  readonly log: EventLog;
  readonly clock: Clock;
  readonly executor: Executor;
  readonly tenants?: readonly TenantConfig[];
  readonly scheduler?: SchedulerSettings;
  /** Node failures (node indices, ms); random ones draw from the streams `failures/<node id>`. */
  readonly failures?: FailureSpec;
  readonly guard?: PolicyGuard;
}

export interface Wired {
  readonly core: SchedulerCore;
  readonly cluster: Cluster;
  readonly failures: FailureProcess | undefined;
  /** Writes the run record (time 0); call once, before the first event. */
  begin(): void;
}

/** The admission list a run gets: queue bound (when set), never-fits, quota (when any), then the extra ones. */
export function admissionChain(s: SchedulerSettings | undefined): AdmissionPolicy[] {
  return [
    ...(s?.maxQueue !== undefined ? [queueBound(s.maxQueue)] : []),
    neverFits,
    ...(s?.quotas ? [quotaAdmission(s.quotas)] : []),
    ...(s?.admission ?? []),
  ];
}

/**
 * One scheduler core over `cluster` with the run's settings and the seeded stream of each
 * extension point (`queue/<name>`, `placement/<name>`, `admission`, `preemption`, each followed
 * by `suffix`: a hierarchy's shards after the first draw from streams of their own).
 */
export function buildCore(i: Omit<WireInput, 'nodes' | 'run' | 'mode' | 'seed' | 'failures'>, cluster: Cluster, rng: RngStreams, suffix = ''): SchedulerCore {
  const s = i.scheduler;
  return new SchedulerCore({
    cluster,
    queue: i.queue,
    placement: i.placement,
    admission: admissionChain(s),
    preemptors: [...(s?.quotas ? [quotaReclaim(s.quotas)] : []), ...(s?.preemptors ?? [])],
    quotas: s?.quotas,
    clock: i.clock,
    executor: i.executor,
    log: i.log,
    rng: {
      queue: rng.get(`queue/${i.queue.name}${suffix}`),
      placement: rng.get(`placement/${i.placement.name}${suffix}`),
      admission: rng.get(`admission${suffix}`),
      preemption: rng.get(`preemption${suffix}`),
    },
    tenants: i.tenants,
    headOfLine: s?.headOfLine,
    backfill: s?.backfill,
    gang: s?.gang,
    preemption: s?.preemption,
    migReconfigMs: s?.migReconfigMs,
    tickMs: s?.tickMs,
    onNodeLoss: s?.onNodeLoss,
    maxNodeLosses: s?.maxNodeLosses,
    forgetEnded: s?.forgetEnded,
    guard: i.guard,
    contexts: s?.contexts,
  });
}

/**
 * Builds the scheduler core of one run — the one place where a simulated and a live run are put
 * together, so the two cannot drift apart: the cluster from the node specs, the seeded streams of
 * each extension point, the admission and preemption chains, the failure process.
 */
export function wireCore(i: WireInput): Wired {
  const rng = new RngStreams(i.seed);
  const cluster = new Cluster(i.nodes);
  const core = buildCore(i, cluster, rng);
  const failures = hasFailures(i.failures) ? new FailureProcess(i.failures, i.nodes, rng) : undefined;
  return {
    core,
    cluster,
    failures,
    begin() {
      i.log.append({ t: 0, ev: 'run', run: i.run, mode: i.mode, seed: i.seed, queue: i.queue.name, placement: i.placement.name, nodes: i.nodes });
    },
  };
}
