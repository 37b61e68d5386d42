import { readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { markedProcesses } from '../live/proc-scan.ts';

/**
 * Start-up reaping of what an earlier service on the same state directory left behind (kill -9):
 * worker processes whose working directory lies under `workRoot` (they carry the executor's
 * marker variable), the per-job cgroups they ran in, and the earlier working directories.
 * Never touches a process outside `workRoot`, so services on other state directories are safe.
 */
export interface ReapReport {
  readonly killed: readonly number[];
  readonly cgroups: readonly string[];
  readonly dirs: readonly string[];
}

/** Pids of marked processes (other than this one) whose working directory lies under `workRoot`. */
function leftoverPids(workRoot: string): number[] {
  const out: number[] = [];
  for (const { pid } of markedProcesses()) {
    if (pid === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === workRoot || cwd.startsWith(workRoot + '/')) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** gpulab cgroup paths (per controller mount) a process is in. */
function gpulabCgroups(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .filter((p) => p.length >= 3 && p[2].includes('/gpulab/'))
      .flatMap(([, ctrls, path]) => (ctrls === '' ? [join('/sys/fs/cgroup', path)] : ctrls.split(',').map((c) => join('/sys/fs/cgroup', c, path))));
  } catch {
    return [];
  }
}

export async function reapLeftovers(workRoot: string): Promise<ReapReport> {
  const pids = leftoverPids(workRoot);
  const groups = new Set(pids.flatMap(gpulabCgroups));
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Wait (bounded: 2 s) until the killed processes are gone, so their cgroups can be removed.
  for (let i = 0; i < 40 && pids.some((p) => alive(p)); i++) await new Promise((r) => setTimeout(r, 50));
  const removed: string[] = [];
  for (const g of groups) {
    try {
      rmdirSync(g);
      removed.push(g);
    } catch {
      // not empty or already gone
    }
  }
  const dirs: string[] = [];
  try {
    for (const d of readdirSync(workRoot)) {
      rmSync(join(workRoot, d), { recursive: true, force: true });
      dirs.push(d);
    }
  } catch {
    // no work root yet
  }
  return { killed: pids, cgroups: removed, dirs };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
