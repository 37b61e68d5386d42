import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { detectCgroups, type CgroupSupport } from './cgroups.ts';

/**
 * Which isolation layers this machine allows, probed once at executor start. Every layer is
 * kernel-enforced; the run output reports the list (`live.json`).
 *
 * - cgroup (v1 or v2): memory, CPU and pid limits per job; kill-all and OOM detection.
 * - netns: `unshare --net` (only a loopback, down) — no network.
 * - pidns: `unshare --pid --fork --mount-proc` — the worker is pid 1 of its own namespace; when it
 *   dies the kernel kills everything left in that namespace.
 * - private-tmp: fresh tmpfs on /tmp, /var/tmp and /dev/shm inside the mount namespace.
 * - unprivileged-uid: the job runs as `nobody` (setpriv, no new privileges): it cannot write
 *   anywhere but its private working directory and its private tmpfs.
 * - prlimit: RLIMIT_NPROC / RLIMIT_DATA, only as the fallback when there is no cgroup.
 * - env-scrubbed, private-workdir, process-group: always.
 */
export interface SandboxLayers {
  readonly cgroup: CgroupSupport | undefined;
  readonly cgroupUnavailable?: string;
  readonly netns: boolean;
  readonly pidns: boolean;
  readonly privateTmp: boolean;
  readonly unprivilegedUid: boolean;
  readonly prlimit: boolean;
}

/** Directories that get a private tmpfs, less those holding any of `keep` (the node binary, the worker). */
export function privateTmpDirs(keep: readonly string[]): string[] {
  return ['/tmp', '/var/tmp', '/dev/shm'].filter((d) => !keep.some((k) => k === d || k.startsWith(d + '/')));
}

/** uid/gid jobs run as when the executor is root. */
export const NOBODY = 65534;

function works(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/**
 * Probes the machine. `mode: 'none'` turns every optional layer off (plain child processes).
 * With `probe`, the uid drop is kept only if `nobody` can run `probe.node` on `probe.script`
 * (a project under a private home directory cannot be read by `nobody`).
 */
export function detectSandbox(mode: 'auto' | 'none' = 'auto', probe?: { node: string; script: string }): SandboxLayers {
  if (mode === 'none') {
    return { cgroup: undefined, cgroupUnavailable: 'sandbox: none', netns: false, pidns: false, privateTmp: false, unprivilegedUid: false, prlimit: false };
  }
  const root = process.getuid?.() === 0;
  const cg = detectCgroups();
  const ns = root && works('unshare', ['--net', '--pid', '--fork', '--mount-proc', '--', 'true']);
  const dropArgs = ['--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--'];
  const setpriv =
    root &&
    existsSync('/usr/bin/setpriv') &&
    (probe
      ? works('setpriv', [...dropArgs, probe.node, '-e', `require('fs').accessSync(${JSON.stringify(probe.script)}, 4)`])
      : works('setpriv', [...dropArgs, 'true']));
  const prlimit = cg.kind === 'none' && works('prlimit', ['--nofile=1024', '--', 'true']);
  return {
    cgroup: cg.kind === 'ok' ? cg.support : undefined,
    ...(cg.kind === 'none' ? { cgroupUnavailable: cg.reason } : {}),
    netns: ns,
    pidns: ns,
    privateTmp: ns,
    unprivilegedUid: setpriv,
    prlimit,
  };
}

/** Names of the active layers, for reports; `tmpDirs`: the dirs that really get a private tmpfs. */
export function layerNames(l: SandboxLayers, tmpDirs?: readonly string[]): string[] {
  const out: string[] = [];
  if (l.cgroup) out.push(`cgroup-${l.cgroup.version}(${l.cgroup.controllers.join(',')})`);
  if (l.netns) out.push('netns');
  if (l.pidns) out.push('pidns');
  if (l.privateTmp && (tmpDirs === undefined || tmpDirs.length === 3)) out.push('private-tmp');
  else if (l.privateTmp && tmpDirs!.length > 0) out.push(`private-tmp(${tmpDirs!.join(',')})`);
  if (l.unprivilegedUid) out.push('uid-nobody');
  if (l.prlimit) out.push('prlimit');
  out.push('env-scrubbed', 'private-workdir', 'process-group');
  return out;
}

export interface SandboxedCommand {
  readonly file: string;
  readonly args: string[];
}

/**
 * Wraps `argv` in the active layers. The outer `sh` (still root, host namespaces) joins the job's
 * cgroups and execs `unshare`; the inner `sh` (pid 1 of the new namespaces) enters the working
 * directory, mounts the private tmpfs and execs the job as `nobody`. Paths come in through the
 * environment (`GPULAB_CG_PROCS`, `GPULAB_WORKDIR`), never spliced into the script.
 */
export function wrapCommand(l: SandboxLayers, argv: readonly string[], limits: { pidsMax: number; memoryBytes: number }): SandboxedCommand {
  let cmd: string[] = [...argv];
  if (l.unprivilegedUid) cmd = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--no-new-privs', '--', ...cmd];
  if (l.pidns) {
    // GPULAB_PRIVATE_TMP lists the dirs that get a fresh tmpfs (none that hold the worker itself).
    const inner = 'cd "$GPULAB_WORKDIR" || exit 125; for d in $GPULAB_PRIVATE_TMP; do mount -t tmpfs -o size=64m,mode=1777 tmpfs "$d" || exit 125; done; exec "$@"';
    cmd = ['unshare', '--net', '--pid', '--fork', '--mount-proc', '--kill-child', '--', '/bin/sh', '-c', inner, 'sandbox', ...cmd];
  }
  if (l.prlimit) cmd = ['prlimit', `--nproc=${limits.pidsMax}`, `--data=${limits.memoryBytes}`, '--', ...cmd];
  const outer = 'for f in $GPULAB_CG_PROCS; do echo $$ > "$f" || exit 125; done; cd "$GPULAB_WORKDIR" || exit 125; exec "$@"';
  return { file: '/bin/sh', args: ['-c', outer, 'gpulab-job', ...cmd] };
}
