import type { JobView } from './api-schema.ts';
import type { AttestationCode } from './attestation.ts';
import type { ApiState } from './state-store.ts';

/** Why the service takes no request now: recovering, shutting down, or its store refused a commit. */
export type Unavailable = 'recovering' | 'draining' | 'store-unavailable';

/** How a submission ended; the HTTP edge maps each kind to one status code. */
export type SubmitResult =
  | { readonly kind: 'created'; readonly job: JobView }
  | { readonly kind: 'duplicate'; readonly job: JobView }
  | { readonly kind: 'conflict'; readonly jobId: string }
  | { readonly kind: 'unknown-tenant'; readonly tenant: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly message: string }
  /** `field`: the request field at fault (default `manifest`). */
  | { readonly kind: 'attestation'; readonly status: 400 | 401 | 403; readonly code: AttestationCode; readonly message: string; readonly field?: string }
  | { readonly kind: 'backpressure'; readonly reason: 'queue-full' | 'rate-limited'; readonly retryAfterSec: number }
  | { readonly kind: 'paused'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly why: Unavailable }
  /** A child job refused (child-jobs.ts): bad or stale token, another tenant, too deep. */
  | { readonly kind: 'child-refused'; readonly status: 401 | 403; readonly code: string; readonly message: string; readonly field?: string };

/** How a cancellation ended. */
export type CancelResult =
  | { readonly kind: 'ok'; readonly job: JobView }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'finished'; readonly state: ApiState }
  | { readonly kind: 'unavailable'; readonly why: Unavailable };
