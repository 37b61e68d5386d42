import type { Placement } from '../src/cluster/types.ts';
import { newJob, type JobView } from '../src/jobs/job.ts';
import { LiveExecutor, type LiveExecutorOptions } from '../src/live/live-executor.ts';
import { detectSandbox, type SandboxLayers } from '../src/live/sandbox.ts';
import type { WorkSpec } from '../src/live/work-spec.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import type { SchedEvent } from '../src/scheduler/events.ts';

export type Completion = Extract<SchedEvent, { kind: 'completion' }>;

export const NO_GPU: Placement = { node: 0, gpus: [] };

let layersMemo: SandboxLayers | undefined;
export function layers(): SandboxLayers {
  return (layersMemo ??= detectSandbox('auto'));
}

/** Why the kernel-enforced suites cannot run here, or undefined when they can. */
export function isolationUnavailable(): string | undefined {
  const l = layers();
  if (process.getuid?.() !== 0) return 'needs root';
  if (!l.cgroup) return `needs writable cgroups (${l.cgroupUnavailable})`;
  if (!l.pidns || !l.netns) return 'needs unshare --net --pid';
  return undefined;
}

/** A job as the core hands it to an executor: attempt 1, running. */
export function liveJob(id: string, work: WorkSpec, over: Partial<{ memory: number; cpu: number; tenant: string }> = {}): JobView {
  const j = newJob({ id, tenant: over.tenant ?? 't', submit: 0, duration: 1000, priority: 0, cpu: over.cpu ?? 1000, memory: over.memory ?? 512, gpus: 0, milli: 0, work });
  j.state = 'running';
  j.attempt = 1;
  return j;
}

/** The executor options the live tests share: CPU backends, 20 s timeout, small limits. */
export function testExecutorOptions(emit: LiveExecutorOptions['emit'], script: string, over: Partial<LiveExecutorOptions> = {}): LiveExecutorOptions {
  return {
    emit,
    layers: layers(),
    workerScript: script,
    workFor: (j) => j.work as WorkSpec,
    defaultTimeoutMs: 20_000,
    graceMs: 300,
    outputLimitBytes: 1 << 20,
    pidsMax: 32,
    minMemoryMiB: 192,
    backends: ['wasm', 'cpu'],
    ...over,
  };
}

/** An executor whose completions resolve per-job promises. */
export async function harness(over: Partial<LiveExecutorOptions> = {}) {
  const waiters = new Map<string, (c: Completion) => void>();
  const seen = new Map<string, Completion>();
  const x = new LiveExecutor(
    testExecutorOptions(
      (ev) => {
        if (ev.kind !== 'completion') return;
        seen.set(ev.jobId, ev);
        waiters.get(ev.jobId)?.(ev);
      },
      await workerScript(),
      over,
    ),
  );
  const completion = (id: string): Promise<Completion> => {
    const c = seen.get(id);
    if (c) return Promise.resolve(c);
    return new Promise((r) => waiters.set(id, r));
  };
  const run = async (job: JobView): Promise<Completion> => {
    x.start(job, NO_GPU);
    return completion(job.id);
  };
  return { x, run, completion, seen };
}

/** Polls `cond` every 20 ms for up to `ms`; returns its last value. */
export async function eventually<T>(f: () => T, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const end = performance.now() + ms;
  let v = f();
  while (!ok(v) && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    v = f();
  }
  return v;
}
