import type { AdmissionPolicy } from '../scheduler/policy.ts';

/**
 * The service's backpressure, in two parts that share one state:
 *
 * - `gate(tenant, …)`, asked by the job service before a submission becomes a job: a paused
 *   service refuses (`paused`), a full queue refuses (`queue-full`), and each tenant's token
 *   bucket (`perSec` tokens a second, at most `burst`) refuses when empty (`rate-limited`), each
 *   with the seconds to wait. Charged before the job exists, so a refused submission leaves no
 *   job behind in the core or the store: memory stays flat while 429s hold the queue at its bound.
 * - the `service` admission policy in the core's chain (after never-fits and quota): the
 *   authoritative queue bound on arrival (`queue-full`, which jobs of the same instant can still
 *   reach) and, while paused (the kill switch), no job starts. Jobs recovered after a crash are
 *   exempt from the bound: they were accepted before.
 *
 * Deterministic in the times it is given (core ms); no clock of its own.
 */
export interface RateLimit {
  readonly perSec: number;
  readonly burst: number;
}

export type GateOutcome = { readonly kind: 'ok' } | { readonly kind: 'refuse'; readonly reason: 'queue-full' | 'rate-limited' | 'paused'; readonly retryAfterSec: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class ServiceAdmission {
  readonly policy: AdmissionPolicy;
  private readonly buckets = new Map<string, Bucket>();
  private readonly recovered = new Set<string>();
  paused: string | undefined;

  constructor(
    private readonly o: { readonly maxQueue: number; readonly queueFullRetryAfterSec: number; readonly rateLimits: ReadonlyMap<string, RateLimit> },
  ) {
    this.policy = {
      name: 'service',
      onArrival: (job, view) => {
        if (this.recovered.delete(job.id)) return { kind: 'admit' };
        if (this.paused !== undefined) return { kind: 'reject', reason: 'paused' };
        return view.queue.length >= this.o.maxQueue ? { kind: 'reject', reason: 'queue-full' } : { kind: 'admit' };
      },
      mayStart: () => this.paused === undefined,
    };
  }

  /** Marks a job recovered from the store: its arrival is admitted whatever the bound. */
  exempt(jobId: string): void {
    this.recovered.add(jobId);
  }

  /** `queued`: jobs queued now plus those on their way to the core. Charges a token on `ok`. */
  gate(tenant: string, queued: number, nowMs: number): GateOutcome {
    if (this.paused !== undefined) return { kind: 'refuse', reason: 'paused', retryAfterSec: 60 };
    if (queued >= this.o.maxQueue) return { kind: 'refuse', reason: 'queue-full', retryAfterSec: this.o.queueFullRetryAfterSec };
    const lim = this.o.rateLimits.get(tenant);
    if (!lim) return { kind: 'ok' };
    let b = this.buckets.get(tenant);
    if (!b) this.buckets.set(tenant, (b = { tokens: lim.burst, at: nowMs }));
    // e.g. perSec 50, 30 ms since the last refill: + 50 × 30 / 1000 = 1.5 tokens, capped at burst.
    b.tokens = Math.min(lim.burst, b.tokens + ((nowMs - b.at) * lim.perSec) / 1000);
    b.at = nowMs;
    if (b.tokens < 1) return { kind: 'refuse', reason: 'rate-limited', retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / lim.perSec)) };
    b.tokens -= 1;
    return { kind: 'ok' };
  }
}
