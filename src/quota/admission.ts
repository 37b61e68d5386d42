import type { AdmissionPolicy } from '../scheduler/policy.ts';
import type { Quotas } from './quotas.ts';

/**
 * Quota admission (`quota`): Kueue's quota reservation. On arrival, a job that its tenant's quota
 * could not admit even with the whole cohort idle (demand over nominal + borrowing limit, or over
 * the cohort's nominal total) is rejected with `over-quota`; in a pass, a queued job starts only
 * while its tenant's usage plus its demand stays within the quota rules (`Quotas.admit`), else it
 * waits. Usage = milli-GPU held by the tenants' running jobs (`TenantView.gpuInUse`). Pure; a
 * refusal holds for the tenant's jobs of that demand for the rest of a pass (`claims`).
 */
export function quotaAdmission(quotas: Quotas): AdmissionPolicy {
  return {
    name: 'quota',
    // A refusal reads the tenant's and its cohort's usage plus the job's demand; a pass only adds usage.
    claims: { sameForTenantAndShape: true },
    onArrival(job) {
      const o = quotas.admit(job.tenant, job.gpus * job.milli, () => 0);
      return o.kind === 'ok' ? { kind: 'admit' } : { kind: 'reject', reason: 'over-quota' };
    },
    mayStart(job, view) {
      const use = (t: string) => view.tenants.find((x) => x.name === t)?.gpuInUse ?? 0;
      return quotas.admit(job.tenant, job.gpus * job.milli, use).kind === 'ok';
    },
  };
}
