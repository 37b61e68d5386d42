import type { JobSpec } from '../jobs/job.ts';
import type { CreateSessionRequest } from '../sessions/api-schema.ts';
import type { Template } from '../sessions/template.ts';
import type { JobRequest } from './api-schema.ts';
import { SESSION_WORK_KIND } from './session-holds.ts';
import type { StoredJob, StoreOp } from './state-store.ts';

/**
 * The pure steps of a session's hold: the job request stored for it (visible in `GET /v1/jobs`
 * as a job whose `command` is `gpulab-session TEMPLATE`), the core job of kind `session` with the
 * template's resources, and what start-up recovery does with a hold a crash left.
 */

/** A template's GPU share as the core's demand: `gpuMilli` ≤ 1000 → one GPU at that share; more → whole GPUs. */
export function gpuDemand(t: Template): { gpus: number; milli: number } {
  const g = t.resources.gpuMilli ?? 0;
  if (g === 0) return { gpus: 0, milli: 1000 };
  return g <= 1000 ? { gpus: 1, milli: g } : { gpus: Math.ceil(g / 1000), milli: 1000 };
}

/** The job request stored for a session's hold (its `session` field marks it). Pure. */
export function holdRequest(req: CreateSessionRequest, t: Template): JobRequest {
  const { gpus, milli } = gpuDemand(t);
  const r = { tenant: req.tenant, command: ['gpulab-session', t.name], gpus, milli, cpuMilli: Math.max(1, t.resources.cpuMilli), memoryMiB: t.resources.memoryMiB, priority: 0, session: t.name };
  return r as JobRequest;
}

export function isSessionRequest(r: Readonly<Record<string, unknown>>): boolean {
  return typeof r.session === 'string';
}

/** The core job that holds a session's resources for up to its lifetime. Pure. */
export function holdSpec(id: string, req: JobRequest, lifetimeSec: number): Omit<JobSpec, 'submit'> {
  return { id, tenant: req.tenant, cpu: req.cpuMilli, memory: req.memoryMiB, gpus: req.gpus, milli: req.gpus === 0 ? 0 : req.milli, duration: Math.round(lifetimeSec * 1000), priority: 0, context: (req as { session?: string }).session, work: { kind: SESSION_WORK_KIND, template: (req as { session?: string }).session } };
}

/** Start-up: the holds a crash left (queued or running) end `cancelled`, reason `service-restart`. Pure. */
export function sessionRecoveryOps(unfinished: readonly StoredJob[], at: number): StoreOp[] {
  return unfinished
    .filter((j) => isSessionRequest(j.request))
    .flatMap((j): StoreOp[] => [
      ...(j.state === 'running' ? [{ op: 'end-run', jobId: j.id, outcome: 'crashed', reason: 'service-restart', at } as const] : []),
      { op: 'set-state', id: j.id, state: 'cancelled', reason: 'service-restart', at },
    ]);
}
