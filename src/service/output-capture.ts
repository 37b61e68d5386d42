import type { JobOutput } from '../live/live-executor.ts';
import type { StoreOp } from './state-store.ts';

/**
 * The store operation that keeps a finished attempt's captured output (already bounded by the
 * executor's `outputCaptureBytes`), numbered by its attempt within `epoch`. Pure.
 */
export function outputOp(epoch: number, out: JobOutput): StoreOp {
  return { op: 'output', jobId: out.jobId, epoch, epochAttempt: out.attempt, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr };
}
