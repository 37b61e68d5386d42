import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { JobCgroup, listJobCgroups } from '../live/cgroups.ts';
import { markedProcesses } from '../live/proc-scan.ts';
import type { SandboxLayers } from '../live/sandbox.ts';
import type { SessionRecord } from './session-lifecycle.ts';
import { markerPrefix, rootTag, sleep } from './session-worker.ts';

export interface RecoverReport {
  /** The stored sessions that were still open, now ended with reason `service-restart`. */
  readonly ended: readonly SessionRecord[];
  /** Leftover processes killed (host pids), cgroups removed, working directories deleted. */
  readonly killed: readonly number[];
  readonly cgroups: readonly string[];
  readonly dirs: readonly string[];
  /** What could not be reclaimed. */
  readonly problems: readonly string[];
}

/**
 * After a crash of the process that ran a SessionManager on `root`: reports every stored session
 * that was not ended as ended with reason `service-restart` (the caller stores them), and reaps
 * what the dead manager's workers left: processes carrying the root's session marker (pool
 * workers included), the root's session cgroups, every directory under the root. Touches nothing
 * of other roots (markers and cgroup names carry the root's tag). Run it before `start` of the
 * new manager on the same root: it would reap that manager's workers too.
 */
export async function recoverSessions(o: { root: string; layers: SandboxLayers; stored: readonly SessionRecord[]; now: number }): Promise<RecoverReport> {
  const tag = rootTag(o.root);
  const prefix = markerPrefix(o.root);
  const pids = markedProcesses()
    .filter((p) => p.pid !== process.pid && p.marker.startsWith(prefix))
    .map((p) => p.pid);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Bounded (3 s): the killed processes must be gone before their cgroups can be removed.
  for (let i = 0; i < 60 && pids.some(alive); i++) await sleep(50);
  const problems: string[] = pids.filter(alive).map((p) => `process ${p} survived SIGKILL`);
  const cgroups: string[] = [];
  const cg = o.layers.cgroup;
  if (cg) {
    for (const name of listJobCgroups(cg).filter((n) => n.startsWith(`sess-${tag}-`))) {
      const g = new JobCgroup(cg, name);
      let removed = false;
      for (let i = 0; i < 60 && !removed; i++) {
        g.killAll();
        removed = g.remove();
        if (!removed) await sleep(50);
      }
      if (removed) cgroups.push(name);
      else problems.push(`cgroup ${name} still busy`);
    }
  }
  const dirs: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(o.root);
  } catch {
    // no root yet: nothing to reap
  }
  for (const d of entries) {
    try {
      rmSync(join(o.root, d), { recursive: true, force: true });
      dirs.push(d);
    } catch (e) {
      problems.push(`${d}: ${(e as Error).message}`);
    }
  }
  const ended = o.stored
    .filter((r) => r.state !== 'ended')
    .map((r): SessionRecord => ({ ...r, state: 'ended', endedAt: o.now, endReason: 'service-restart', ...(problems.length > 0 ? { leftovers: problems } : {}) }));
  return { ended, killed: pids, cgroups, dirs, problems };
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
