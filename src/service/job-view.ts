import type { JobView } from './api-schema.ts';
import type { StoredJob } from './state-store.ts';

/** A stored job as the API shows it. Pure. */
export function jobView(j: StoredJob): JobView {
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());
  return {
    id: j.id,
    tenant: j.tenant,
    state: j.state,
    attempts: j.attempts,
    submittedAt: iso(j.submittedAt)!,
    ...(j.startedAt !== null ? { startedAt: iso(j.startedAt) } : {}),
    ...(j.endedAt !== null ? { endedAt: iso(j.endedAt) } : {}),
    ...(j.node !== null ? { node: j.node } : {}),
    ...(j.gpus !== null ? { gpus: [...j.gpus] } : {}),
    ...(j.reason !== null ? { reason: j.reason } : {}),
    ...(j.exitCode !== undefined && j.exitCode !== null ? { exitCode: j.exitCode } : {}),
    ...(j.attestation !== null ? { attestation: { ...j.attestation } } : {}),
    ...(j.parentId ? { parentId: j.parentId, depth: j.depth ?? 0 } : {}),
  };
}
