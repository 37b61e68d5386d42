import { onActiveTempDirs } from '../output/out-dir.ts';
import { PolicyGuard } from '../scheduler/policy-guard.ts';
import { startWatchdog } from '../wiring/watchdog.ts';
import { positiveFlag } from './args.ts';

/** Default wall-clock budget (s) of one policy call before the watchdog aborts the run. */
export const DEFAULT_POLICY_TIMEOUT_SEC = 30;

export const POLICY_TIMEOUT_HELP = `  --policy-timeout SEC
               abort the run when one policy call runs longer than SEC seconds of wall time
               (default ${DEFAULT_POLICY_TIMEOUT_SEC}); a call over 1 s is reported once and the run goes on`;

/**
 * The policy guard of a CLI run with the watchdog thread: calls over a second reported on stderr,
 * and a run stuck in one call aborted (naming the policy, call, job and simulated time) after removing
 * the run's temporary output directories. `stop()` when the run is over.
 */
export function cliPolicyGuard(flag: string | undefined): { guard: PolicyGuard; stop: () => Promise<void> } {
  const sec = flag === undefined ? DEFAULT_POLICY_TIMEOUT_SEC : positiveFlag('--policy-timeout', flag, 0.01, 86_400);
  const wd = startWatchdog(sec * 1000);
  const unsubscribe = onActiveTempDirs((dirs) => wd.cleanupOnKill(dirs));
  // Slow calls are reported by the watchdog thread itself (no clock reads on this thread).
  const guard = new PolicyGuard({ recorder: wd.recorder });
  return {
    guard,
    stop: async () => {
      unsubscribe();
      await wd.stop();
    },
  };
}
