import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IO_BPS, detectCgroups, type CgroupSupport } from './cgroups.ts';
import { mountPlan, mountPoints, planText, ROOTFS_SCRIPT, TMP_DIRS } from './sandbox-mounts.ts';

/**
 * Which isolation layers this machine allows, probed once at executor start. Every layer is
 * kernel-enforced; the run output reports the list (`live.json`, the service log), and for each
 * optional layer that is off, why (`unavailable`).
 *
 * - cgroup (v1 or v2): memory, CPU, pid and (where the io/blkio controller exists) block I/O
 *   bandwidth limits per job; kill-all and OOM detection.
 * - netns: `unshare --net` — no network: the namespace's loopback stays down (`network: none`,
 *   the default). A job asking for `network: loopback` gets its loopback up (sandbox-network.ts):
 *   it can talk to itself on 127.0.0.1, never to the host's listeners.
 * - pidns: `unshare --pid --fork --mount-proc` — the worker is pid 1 of its own namespace; when it
 *   dies the kernel kills everything left in that namespace.
 * - utsIpc: `unshare --uts --ipc` — own hostname (`gpulab-<worker>`), own System V IPC and POSIX
 *   message queues.
 * - readOnlyRoot (sandbox-mounts.ts): the job sees the host's mounts bound read-only, in its own
 *   mount namespace, chrooted; writable are only a fresh tmpfs on /tmp, /var/tmp, /dev/shm
 *   (always, even when the checkout is under /tmp) and its workdir, a tmpfs of
 *   `workdirQuotaBytes` (ENOSPC past it).
 * - private-tmp: without readOnlyRoot, the fallback: fresh tmpfs on those tmp dirs that do not
 *   hold the node binary or the worker.
 * - unprivileged-uid: the job runs as `nobody` (setpriv, no new privileges); capsDropped: with
 *   empty inheritable and bounding capability sets as well.
 * - prlimit: RLIMIT_NPROC / RLIMIT_DATA, only as the fallback when there is no cgroup.
 * - env-scrubbed, private-workdir, process-group: always.
 *
 * The layers added after the first release are optional fields (absent: off).
 */
export interface SandboxLayers {
  readonly cgroup: CgroupSupport | undefined;
  readonly cgroupUnavailable?: string;
  readonly netns: boolean;
  readonly pidns: boolean;
  readonly privateTmp: boolean;
  readonly unprivilegedUid: boolean;
  readonly prlimit: boolean;
  readonly utsIpc?: boolean;
  readonly readOnlyRoot?: boolean;
  /** Size of the workdir tmpfs, bytes (with readOnlyRoot). */
  readonly workdirQuotaBytes?: number;
  readonly capsDropped?: boolean;
  /** `network: loopback` can be honoured (nsenter and ip exist). */
  readonly loopback?: boolean;
  /** `layer: reason` for each optional layer that is off. */
  readonly unavailable?: readonly string[];
}

/** Tunables of the layers that take a size (defaults: DEFAULT_SANDBOX_LIMITS). */
export interface SandboxLimits {
  readonly workdirQuotaMiB: number;
  readonly ioReadBps: number;
  readonly ioWriteBps: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { workdirQuotaMiB: 1024, ioReadBps: DEFAULT_IO_BPS.readBps, ioWriteBps: DEFAULT_IO_BPS.writeBps };

/**
 * Directories that get a private tmpfs in the fallback (no readOnlyRoot), less those holding any
 * of `keep` (the node binary, the worker). With readOnlyRoot every one of them is private.
 */
export function privateTmpDirs(keep: readonly string[]): string[] {
  return ['/tmp', '/var/tmp', '/dev/shm'].filter((d) => !keep.some((k) => k === d || k.startsWith(d + '/')));
}

/** The tmp dirs a job of `l` really gets private (`keep`: as for privateTmpDirs). */
export function jobTmpDirs(l: SandboxLayers, keep: readonly string[]): string[] {
  if (!l.privateTmp) return [];
  return l.readOnlyRoot ? TMP_DIRS.filter((d) => existsSync(d)) : privateTmpDirs(keep);
}

/** uid/gid jobs run as when the executor is root. */
export const NOBODY = 65534;

const DROP_UID = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
const DROP_CAPS = ['--inh-caps=-all', '--bounding-set=-all'];
const NS_ARGS = ['--net', '--pid', '--fork', '--mount-proc', '--kill-child'];
/** PATH for the tools the executor itself runs (probes, nsenter): sbin holds `ip`. */
export const ADMIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function run(cmd: string, args: string[]): { ok: boolean; why: string } {
  try {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, encoding: 'utf8', env: { PATH: ADMIN_PATH } });
    if (r.error) return { ok: false, why: r.error.message };
    return { ok: r.status === 0, why: (r.stderr ?? '').trim().split('\n').pop() || `${cmd} exited with ${r.status ?? r.signal}` };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

function works(cmd: string, args: string[]): boolean {
  return run(cmd, args).ok;
}

/**
 * Probes the machine. `mode: 'none'` turns every optional layer off (plain child processes).
 * With `probe`, the uid drop is kept only if `nobody` can run `probe.node` on `probe.script`
 * (a project under a private home directory cannot be read by `nobody`); the read-only root is
 * probed by running the same mount plan a worker gets.
 */
export function detectSandbox(mode: 'auto' | 'none' = 'auto', probe?: { node: string; script: string }, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): SandboxLayers {
  if (mode === 'none') {
    return { cgroup: undefined, cgroupUnavailable: 'sandbox: none', netns: false, pidns: false, privateTmp: false, unprivilegedUid: false, prlimit: false, unavailable: ['all: sandbox: none'] };
  }
  const unavailable: string[] = [];
  const off = (layer: string, why: string): false => {
    unavailable.push(`${layer}: ${why}`);
    return false;
  };
  const root = process.getuid?.() === 0;
  const cg = detectCgroups('/sys/fs/cgroup', { readBps: limits.ioReadBps, writeBps: limits.ioWriteBps });
  const nsRun = root ? run('unshare', [...NS_ARGS, '--', 'true']) : { ok: false, why: 'not root' };
  const ns = nsRun.ok || off('netns+pidns', nsRun.why);
  const probeCmd = probe ? [probe.node, '-e', `require('fs').accessSync(${JSON.stringify(probe.script)}, 4)`] : ['true'];
  const setpriv = !root ? off('uid-nobody', 'not root') : !existsSync('/usr/bin/setpriv') ? off('uid-nobody', 'no setpriv') : works('setpriv', [...DROP_UID, '--no-new-privs', '--', ...probeCmd]) || off('uid-nobody', 'nobody cannot run the worker');
  const capsRun = setpriv ? run('setpriv', [...DROP_UID, ...DROP_CAPS, '--no-new-privs', '--', 'true']) : { ok: false, why: 'no uid drop' };
  const caps = capsRun.ok || off('caps-dropped', capsRun.why);
  const utsRun = ns ? run('unshare', ['--uts', '--ipc', '--', 'true']) : { ok: false, why: 'no namespaces' };
  const utsIpc = utsRun.ok || off('uts-ns+ipc-ns', utsRun.why);
  const quotaBytes = limits.workdirQuotaMiB * 2 ** 20;
  // The worker's node binary and script are kept in the new root as a worker's are (the script
  // is named inside probeCmd's -e text, so it must be passed on its own: under /tmp it is bound back).
  const keep = probe ? [probe.node, probe.script] : [];
  const rootRun = ns ? probeRootfs(utsIpc, probeCmd, keep, quotaBytes, setpriv ? NOBODY : 0) : { ok: false, why: 'no namespaces' };
  const readOnlyRoot = rootRun.ok || off('read-only-root', rootRun.why);
  if (!readOnlyRoot) off('workdir-quota', 'its tmpfs is part of the read-only root layer');
  const loRun = !ns ? { ok: false, why: 'no netns' } : works('nsenter', ['--version']) ? run('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up']) : { ok: false, why: 'no nsenter' };
  const loopback = loRun.ok || off('network-loopback', loRun.why);
  if (cg.kind === 'ok' && !cg.support.controllers.includes('io')) off('io-limit', 'no io (v2) / blkio (v1) controller or no disk');
  if (cg.kind === 'none') off('io-limit', cg.reason);
  const prlimit = cg.kind === 'none' && works('prlimit', ['--nofile=1024', '--', 'true']);
  return {
    cgroup: cg.kind === 'ok' ? cg.support : undefined,
    ...(cg.kind === 'none' ? { cgroupUnavailable: cg.reason } : {}),
    netns: ns,
    pidns: ns,
    privateTmp: ns,
    unprivilegedUid: setpriv,
    prlimit,
    utsIpc,
    readOnlyRoot,
    ...(readOnlyRoot ? { workdirQuotaBytes: quotaBytes } : {}),
    capsDropped: caps,
    loopback,
    unavailable,
  };
}

/** Runs the worker's mount plan once, in a scratch workdir, and checks that `/` is read-only. */
function probeRootfs(uts: boolean, probeCmd: string[], keep: readonly string[], quotaBytes: number, uid: number): { ok: boolean; why: string } {
  const w = mkdtempSync(join(tmpdir(), 'gpulab-rootfs-probe-'));
  try {
    const check = 'if (true > /.gpulab-rw-probe) 2>/dev/null; then echo "root stays writable" >&2; exit 1; fi; exec "$@"';
    const args = [...NS_ARGS, ...(uts ? ['--uts', '--ipc'] : []), '--', '/bin/sh', '-c', ROOTFS_SCRIPT, 'sandbox', uts ? 'gpulab-' : '', planText(hostPlan(keep, quotaBytes, uid)), '/bin/sh', '-c', check, 'check', ...probeCmd];
    // the PATH a worker's wrapper gets (worker-process.ts)
    const r = spawnSync('unshare', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin', GPULAB_WORKDIR: w } });
    if (r.error) return { ok: false, why: r.error.message };
    return { ok: r.status === 0, why: (r.stderr ?? '').trim().split('\n').pop() || `mount plan exited with ${r.status ?? r.signal}` };
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
}

/** The mount plan for a worker of `keep` (node binary, script) on this host's mount table now. */
function hostPlan(keep: readonly string[], quotaBytes: number, uid: number) {
  const paths = new Set<string>();
  for (const k of keep) {
    paths.add(k);
    try {
      paths.add(realpathSync(k));
    } catch {
      // missing: nothing to keep
    }
  }
  return mountPlan(mountPoints(readFileSync('/proc/self/mountinfo', 'utf8')), [...paths], TMP_DIRS.filter((d) => existsSync(d)), quotaBytes, uid);
}

/** Names of the active layers, for reports; `tmpDirs`: the dirs that really get a private tmpfs. */
export function layerNames(l: SandboxLayers, tmpDirs?: readonly string[]): string[] {
  const out: string[] = [];
  if (l.cgroup) out.push(`cgroup-${l.cgroup.version}(${l.cgroup.controllers.join(',')})`);
  if (l.cgroup?.io) out.push(`io-limit(${l.cgroup.io.devices.join(',')}: read ${mib(l.cgroup.io.readBps)} MiB/s, write ${mib(l.cgroup.io.writeBps)} MiB/s)`);
  if (l.netns) out.push(l.loopback ? 'netns(none|loopback)' : 'netns(none)');
  if (l.pidns) out.push('pidns');
  if (l.utsIpc) out.push('uts-ns', 'ipc-ns');
  if (l.readOnlyRoot) out.push('read-only-root', 'private-tmp', `workdir-quota(tmpfs ${mib(l.workdirQuotaBytes ?? 0)} MiB)`);
  else if (l.privateTmp && (tmpDirs === undefined || tmpDirs.length === 3)) out.push('private-tmp');
  else if (l.privateTmp && tmpDirs!.length > 0) out.push(`private-tmp(${tmpDirs!.join(',')})`);
  if (l.unprivilegedUid) out.push('uid-nobody');
  if (l.capsDropped) out.push('caps-dropped');
  if (l.prlimit) out.push('prlimit');
  out.push('env-scrubbed', 'private-workdir', 'process-group');
  return out;
}

const mib = (b: number): number => Math.round(b / 2 ** 20);

export interface SandboxedCommand {
  readonly file: string;
  readonly args: string[];
}

/** The fallback's root shell: private tmpfs on `$GPULAB_PRIVATE_TMP`, then the job (`$1`: hostname or ''). */
const TMPFS_SCRIPT = 'cd "$GPULAB_WORKDIR" || exit 125; [ -z "$1" ] || echo "$1${GPULAB_JOB_MARKER%%-*}" > /proc/sys/kernel/hostname || exit 125; shift; for d in $GPULAB_PRIVATE_TMP; do mount -t tmpfs -o size=64m,mode=1777 tmpfs "$d" || exit 125; done; exec "$@"';

/**
 * Wraps `argv` in the active layers. The outer `sh` (still root, host namespaces) joins the job's
 * cgroups and execs `unshare`; the inner `sh` (pid 1 of the new namespaces, still root) sets the
 * hostname, builds the job's filesystem view (sandbox-mounts.ts) and execs the job as `nobody`
 * without capabilities. Paths come in through the environment (`GPULAB_CG_PROCS`,
 * `GPULAB_WORKDIR`) or as arguments, never spliced into the script. Reads the host's mount table.
 */
export function wrapCommand(l: SandboxLayers, argv: readonly string[], limits: { pidsMax: number; memoryBytes: number }): SandboxedCommand {
  let cmd: string[] = [...argv];
  if (l.unprivilegedUid) cmd = ['setpriv', ...DROP_UID, ...(l.capsDropped ? DROP_CAPS : []), '--no-new-privs', '--', ...cmd];
  if (l.pidns) {
    const hostname = l.utsIpc ? 'gpulab-' : '';
    const inner = l.readOnlyRoot
      ? [ROOTFS_SCRIPT, 'sandbox', hostname, planText(hostPlan(argv.filter((a) => a.startsWith('/')), l.workdirQuotaBytes ?? 0, l.unprivilegedUid ? NOBODY : 0))]
      : [TMPFS_SCRIPT, 'sandbox', hostname];
    cmd = ['unshare', ...NS_ARGS, ...(l.utsIpc ? ['--uts', '--ipc'] : []), '--', '/bin/sh', '-c', ...inner, ...cmd];
  }
  if (l.prlimit) cmd = ['prlimit', `--nproc=${limits.pidsMax}`, `--data=${limits.memoryBytes}`, '--', ...cmd];
  const outer = 'for f in $GPULAB_CG_PROCS; do echo $$ > "$f" || exit 125; done; cd "$GPULAB_WORKDIR" || exit 125; exec "$@"';
  return { file: '/bin/sh', args: ['-c', outer, 'gpulab-job', ...cmd] };
}
