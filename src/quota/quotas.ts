import type { JobView } from '../jobs/job.ts';
import type { QuotaView } from '../scheduler/policy.ts';

/**
 * Per-tenant GPU quotas grouped in cohorts, after Kueue's ClusterQueue/Cohort semantics
 * (kueue.sigs.k8s.io, "Cluster Queue": nominalQuota, borrowingLimit, cohort; "Preemption":
 * reclaimWithinCohort). Quantities are milli-GPU (gpus × milli of running jobs).
 *
 * - A tenant may always use up to its `nominal` quota, as far as its cohort has that capacity.
 * - It may borrow beyond `nominal` from the unused quota of its cohort, up to `borrowingLimit`
 *   (unlimited when absent): usage + demand ≤ nominal + borrowingLimit.
 * - A cohort's total usage never exceeds the sum of its members' nominal quotas.
 * - Borrowed capacity is reclaimable: a tenant whose job would fit within its nominal quota may
 *   preempt jobs of cohort members that are over their nominal quota (see `reclaimVictims`).
 * - Tenants with no quota entry are not limited (and are in no cohort).
 * Pure functions over plain data.
 */

export interface TenantQuota {
  readonly tenant: string;
  /** Cohort name; tenants without one form a cohort of their own. */
  readonly cohort?: string;
  /** Guaranteed milli-GPU. */
  readonly nominal: number;
  /** Most milli-GPU the tenant may borrow beyond `nominal`; undefined = no limit but the cohort's. */
  readonly borrowingLimit?: number;
}

export class Quotas implements QuotaView {
  private readonly byTenant = new Map<string, TenantQuota>();
  private readonly cohortOf = new Map<string, string>();
  private readonly members = new Map<string, string[]>();

  constructor(readonly list: readonly TenantQuota[]) {
    for (const q of list) {
      if (this.byTenant.has(q.tenant)) throw new Error(`quota for tenant ${q.tenant} given twice`);
      this.byTenant.set(q.tenant, q);
      const c = q.cohort ?? `tenant:${q.tenant}`;
      this.cohortOf.set(q.tenant, c);
      this.members.set(c, [...(this.members.get(c) ?? []), q.tenant]);
    }
  }

  quota(tenant: string): TenantQuota | undefined {
    return this.byTenant.get(tenant);
  }

  governs(name: string): boolean {
    return this.byTenant.has(name);
  }

  /** `admit` for a job's demand (`gpus × milli`, as quota admission asks). */
  admits(job: JobView, use: (tenant: string) => number): boolean {
    return this.admit(job.tenant, job.gpus * job.milli, use).kind === 'ok';
  }

  cohortMembers(tenant: string): readonly string[] {
    const c = this.cohortOf.get(tenant);
    return c ? this.members.get(c)! : [];
  }

  /** Σ nominal over the tenant's cohort. */
  cohortNominal(tenant: string): number {
    return this.cohortMembers(tenant).reduce((a, t) => a + this.byTenant.get(t)!.nominal, 0);
  }

  /**
   * Whether `tenant` may start `demand` more milli-GPU given each tenant's current usage.
   * Outcome names the limit that stops it.
   */
  admit(tenant: string, demand: number, usage: (t: string) => number): QuotaOutcome {
    const q = this.byTenant.get(tenant);
    if (!q) return { kind: 'ok', borrowing: false };
    const own = usage(tenant) + demand;
    if (q.borrowingLimit !== undefined && own > q.nominal + q.borrowingLimit) {
      return { kind: 'over', reason: `tenant ${tenant}: ${own} > nominal ${q.nominal} + borrowing limit ${q.borrowingLimit}` };
    }
    const cohortUse = this.cohortMembers(tenant).reduce((a, t) => a + usage(t), 0) + demand;
    const cap = this.cohortNominal(tenant);
    if (cohortUse > cap) return { kind: 'over', reason: `cohort of ${tenant}: ${cohortUse} > ${cap}` };
    return { kind: 'ok', borrowing: own > q.nominal };
  }
}

export type QuotaOutcome = { readonly kind: 'ok'; readonly borrowing: boolean } | { readonly kind: 'over'; readonly reason: string };

/** A tenant's quota as configuration writes it, in GPUs (scenario `tenants[].quota`, the service config). */
export interface GpuQuotaSpec {
  readonly nominalGpus: number;
  readonly cohort?: string;
  readonly borrowingLimitGpus?: number;
}

/** The quotas of the tenants that have one, GPUs → milli-GPU. Pure. */
export function tenantQuotas(tenants: readonly { readonly name: string; readonly quota?: GpuQuotaSpec }[]): TenantQuota[] {
  return tenants
    .filter((t) => t.quota)
    .map((t) => ({
      tenant: t.name,
      nominal: Math.round(t.quota!.nominalGpus * 1000),
      ...(t.quota!.cohort ? { cohort: t.quota!.cohort } : {}),
      ...(t.quota!.borrowingLimitGpus !== undefined ? { borrowingLimit: Math.round(t.quota!.borrowingLimitGpus * 1000) } : {}),
    }));
}
