import { join, resolve } from 'node:path';
import '../../policies/index.ts';
import type { JobView as CoreJob } from '../jobs/job.ts';
import type { JsonLogger } from '../live/json-log.ts';
import { LiveDriver } from '../live/live-driver.ts';
import type { JobOutput } from '../live/live-executor.ts';
import { detectSandbox, jobTmpDirs, layerNames, type SandboxLimits } from '../live/sandbox.ts';
import type { WorkSpec } from '../live/work-spec.ts';
import { workerScript } from '../live/worker-entry.ts';
import type { LogRecord } from '../log/records.ts';
import { Quotas, tenantQuotas } from '../quota/quotas.ts';
import { expandNodeGroups } from '../scenario/cluster.ts';
import type { NodeGroup } from '../scenario/schema.ts';
import { policiesFor } from '../scenario/prepare.ts';
import type { ServiceConfig } from './config.ts';
import { detectedNode, detectGpus } from './gpu-detect.ts';
import { reapLeftovers, type ReapReport } from './reaper.ts';
import { ServiceExecutor, type SessionHolds } from './session-holds.ts';
import { sessionContextsNeeded } from './session-warm-starts.ts';
import type { ServiceAdmission } from './service-admission.ts';
import { mostGpus, warmPoolTooBig } from '../live/warm-pool.ts';

/** Where the driver's output goes. */
export interface DriverHooks {
  /** The core's log sink. */
  readonly onRecord: (r: LogRecord) => void;
  /** A stale worker was reaped. */
  readonly onStale: () => void;
  /** Whether a lost attempt (stale worker) of the job may run again: the recovery rule's attempt limit. */
  readonly retryLost: (jobId: string) => boolean;
  /** A finished attempt's captured output. */
  readonly onOutput: (out: JobOutput) => void;
  /** A running job's output as it arrives. */
  readonly onChunk: (jobId: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Where session jobs go (they hold resources; no process is started for them). */
  readonly holds: SessionHolds;
}

/** The config's sandbox limits (workdir quota, io rate) as `detectSandbox` takes them. */
export function sandboxLimits(c: ServiceConfig): SandboxLimits {
  return { workdirQuotaMiB: c.sandbox.workdirQuotaMiB, ioReadBps: c.sandbox.ioReadMiBps * 2 ** 20, ioWriteBps: c.sandbox.ioWriteMiBps * 2 ** 20 };
}

/**
 * Start-up: reaps what an earlier process on the state directory left, detects the sandbox, and
 * builds the live driver (the scheduler core with the configured policies, quotas and admission,
 * over a live executor whose jobs work under `work/epoch-<epoch>`). The driver is not begun.
 */
export async function startDriver(c: ServiceConfig, epoch: number, admission: ServiceAdmission, log: JsonLogger, hooks: DriverHooks): Promise<{ driver: LiveDriver; reaped: ReapReport }> {
  const workRoot = join(resolve(c.stateDir), 'work');
  const reaped = await reapLeftovers(workRoot);
  const jobRoot = join(workRoot, `epoch-${epoch}`);
  const nodes = expandNodeGroups(c.cluster.nodes ?? [await detectedGroup(c.cluster.detect!, log)]);
  // Known only now (detection): the pool's tensor workers are per GPU.
  const tooBig = warmPoolTooBig(c.sandbox.warmPool, mostGpus(nodes), 'sandbox.warmPool');
  if (tooBig) throw new Error(tooBig);
  const quotas = tenantQuotas(c.tenants);
  const script = await workerScript();
  const layers = detectSandbox(c.sandbox.mode, { node: process.execPath, script }, sandboxLimits(c));
  log.info('isolation', { layers: layerNames(layers, jobTmpDirs(layers, [process.execPath, script])), layersUnavailable: layers.unavailable ?? [], ...(layers.cgroupUnavailable ? { cgroupUnavailable: layers.cgroupUnavailable } : {}) });
  const driver = new LiveDriver({
    run: `serve/epoch-${epoch}`,
    seed: 1,
    nodes,
    ...policiesFor(c.policy, []),
    log: { append: (r) => hooks.onRecord(r) },
    timeScale: 1,
    tenants: c.tenants.map((t) => ({ name: t.name, weight: t.weight })),
    headOfLine: 'skip',
    coreExtras: { ...(quotas.length > 0 ? { quotas: new Quotas(quotas) } : {}), ...(sessionContextsNeeded(c.templates) ? { contexts: hooks.holds.contexts } : {}), admission: [admission.policy] },
    logger: log,
    executor: (emit) =>
      new ServiceExecutor({
        emit,
        layers,
        workerScript: script,
        workFor: (j: CoreJob) => j.work as WorkSpec,
        defaultTimeoutMs: c.sandbox.timeoutSec * 1000,
        graceMs: c.sandbox.graceMs,
        outputLimitBytes: c.sandbox.outputLimitBytes,
        outputCaptureBytes: c.sandbox.outputCaptureBytes,
        keepMeasures: false,
        heartbeatMs: c.sandbox.heartbeatMs,
        staleAfterBeats: c.sandbox.staleAfterBeats,
        onStale: () => hooks.onStale(),
        retryLost: (j: CoreJob) => hooks.retryLost(j.id),
        onOutput: (out) => hooks.onOutput(out),
        onChunk: hooks.onChunk,
        pidsMax: c.sandbox.pidsMax,
        minMemoryMiB: c.sandbox.minMemoryMiB,
        backends: c.sandbox.backends,
        warmPool: c.sandbox.warmPool,
        warmGpus: mostGpus(nodes),
        jobRoot,
        logger: log,
      }, hooks.holds, (i) => nodes[i].id),
  });
  return { driver, reaped };
}

/** `cluster.detect`: this box as one node `local-0`; says in the log what it found, or that it runs CPU-only. */
async function detectedGroup(o: { readonly nvidiaSmi: boolean; readonly webgpu: boolean }, log: JsonLogger): Promise<NodeGroup> {
  let d;
  try {
    d = await detectGpus({ ...(o.nvidiaSmi ? {} : { nvidiaSmi: false }), webgpu: o.webgpu });
  } catch (e) {
    throw new Error(`cluster.detect: ${(e as Error).message}`);
  }
  const node = detectedNode(d, 'local-');
  if (d.gpus.length === 0) log.warn('no GPU found: running a CPU-only node', { notes: d.notes, cpu: node.cpu, memoryMiB: node.memory });
  else log.info('GPUs detected', { source: d.source, gpus: d.gpus, cpu: node.cpu, memoryMiB: node.memory, notes: d.notes });
  return node;
}
