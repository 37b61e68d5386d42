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
 * The policy guard of a CLI run: slow calls reported on stderr, and the watchdog thread that
 * aborts a run stuck in one call (naming the policy, call, job and simulated time) after removing
 * the run's temporary output directories. `stop()` when the run is over.
 */
export function cliPolicyGuard(flag: string | undefined): { guard: PolicyGuard; stop: () => Promise<void> } {
  const sec = flag === undefined ? DEFAULT_POLICY_TIMEOUT_SEC : positiveFlag('--policy-timeout', flag, 0.01, 86_400);
  const wd = startWatchdog(sec * 1000);
  const unsubscribe = onActiveTempDirs((dirs) => wd.cleanupOnKill(dirs));
  const guard = new PolicyGuard({ recorder: wd.recorder, onSlow: (m) => process.stderr.write(`warning: ${m}\n`) });
  return {
    guard,
    stop: async () => {
      unsubscribe();
      await wd.stop();
    },
  };
}
