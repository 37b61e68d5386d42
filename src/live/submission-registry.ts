import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/**
 * Idempotent submission. A client names each submission with its own id; submitting the same id
 * again with the same payload returns the job made the first time (a retry after a lost reply
 * cannot create a second job), and the same id with a different payload is refused as a
 * conflict. Payloads compare by the sha256 of their canonical JSON.
 */
export type SubmitOutcome =
  | { readonly kind: 'created'; readonly jobId: string }
  | { readonly kind: 'duplicate'; readonly jobId: string }
  | { readonly kind: 'conflict'; readonly jobId: string; readonly reason: string };

interface Entry {
  readonly jobId: string;
  readonly fingerprint: string;
}

export function fingerprint(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

export class SubmissionRegistry {
  private readonly bySubmission = new Map<string, Entry>();

  /**
   * Records a submission. `makeJobId` is called only for a new submission id, so ids of jobs
   * stay dense and deterministic. Idempotent for equal payloads.
   */
  submit(submissionId: string, payload: unknown, makeJobId: () => string): SubmitOutcome {
    if (submissionId.length === 0) throw new Error('submission id must not be empty');
    const fp = fingerprint(payload);
    const seen = this.bySubmission.get(submissionId);
    if (seen) {
      if (seen.fingerprint === fp) return { kind: 'duplicate', jobId: seen.jobId };
      return {
        kind: 'conflict',
        jobId: seen.jobId,
        reason: `submission '${submissionId}' was already used for job ${seen.jobId} with a different payload`,
      };
    }
    const jobId = makeJobId();
    this.bySubmission.set(submissionId, { jobId, fingerprint: fp });
    return { kind: 'created', jobId };
  }

  /** The job made for a submission id, if any. */
  jobOf(submissionId: string): string | undefined {
    return this.bySubmission.get(submissionId)?.jobId;
  }

  get size(): number {
    return this.bySubmission.size;
  }
}
