import { heldMilli } from '../jobs/estimate.ts';
import type { Job } from '../jobs/job.ts';
import type { Clock } from './clock.ts';
import type { TenantView } from './policy.ts';

/** One tenant's running totals; policies see it as a `TenantView`. Units: milli-GPU, milli-CPU, MiB, ms. */
class TenantState implements TenantView {
  gpuInUse = 0;
  cpuInUse = 0;
  memoryInUse = 0;
  running = 0;
  queued = 0;
  /** GPU·ms of finished attempts. */
  private attainedDone = 0;
  /** Σ milli over running jobs, and Σ milli × start: attained(now) is then O(1). */
  private runMilli = 0;
  private runMilliStart = 0;
  constructor(
    readonly name: string,
    readonly weight: number,
    private readonly clock: Clock,
  ) {}
  get attainedGpu(): number {
    return this.attainedDone + this.runMilli * this.clock.now() - this.runMilliStart;
  }
  onStart(j: Job, now: number): void {
    const m = heldMilli(j);
    this.gpuInUse += m;
    this.cpuInUse += j.cpu;
    this.memoryInUse += j.memory;
    this.running++;
    this.runMilli += m;
    this.runMilliStart += m * now;
  }
  onStop(j: Job, now: number): void {
    const m = heldMilli(j);
    this.gpuInUse -= m;
    this.cpuInUse -= j.cpu;
    this.memoryInUse -= j.memory;
    this.running--;
    this.runMilli -= m;
    this.runMilliStart -= m * j.start;
    this.attainedDone += m * (now - j.start);
  }
}

/**
 * Per-tenant accounting of the scheduler core: what each tenant holds, has queued and has
 * received. Tenants not configured appear with weight 1 on their first job. `list` is sorted by
 * name (the order policies see).
 */
export class TenantLedger {
  private readonly byName = new Map<string, TenantState>();
  private sorted: TenantState[] = [];

  constructor(
    private readonly clock: Clock,
    configured: readonly { readonly name: string; readonly weight: number }[] = [],
  ) {
    for (const t of configured) this.add(t.name, t.weight);
  }

  get list(): readonly TenantView[] {
    return this.sorted;
  }

  /** The tenant of `j`, created with weight 1 when first seen. */
  of(j: { readonly tenant: string }): TenantState {
    return this.byName.get(j.tenant) ?? this.add(j.tenant, 1);
  }

  private add(name: string, weight: number): TenantState {
    const t = new TenantState(name, weight, this.clock);
    this.byName.set(name, t);
    this.sorted = [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return t;
  }
}
