/**
 * The job's filesystem view: a mount plan that the sandbox's root shell, inside the job's private
 * mount namespace, hands to one `mount -a --fstab` call before it chroots into the new root.
 *
 * - Read-only root: every host mount is bind-mounted again under the new root, read-only
 *   (`bind,ro`: the kernel's MS_BIND then MS_REMOUNT|MS_BIND|MS_RDONLY), one mount at a time —
 *   util-linux 2.38 cannot make a recursive bind read-only in one call. Only the mounts below
 *   are writable.
 * - Private tmp, always: a fresh tmpfs on /tmp, /var/tmp and /dev/shm. What the worker needs from
 *   under them (a checkout or a node binary under /tmp) is bound back in read-only, so the host's
 *   tmp is never shared.
 * - Workdir quota: the job's working directory is a size-limited tmpfs owned by the job's uid; a
 *   job writing past it gets ENOSPC. tmpfs pages are charged to the job's memory cgroup, so the
 *   memory limit bounds it too.
 *
 * Pure functions of their inputs (the mount table comes in as text).
 */

/** The fresh tmpfs of each private tmp dir. */
export const TMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'] as const;
export const TMP_SIZE = '64m';

/** One fstab line: `source target fstype options`; `target` is a path inside the new root. */
export interface MountLine {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
  readonly options: string;
}

/** Mount points of a /proc/self/mountinfo text, in its order, octal escapes (`\040`) kept. */
export function mountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp) out.push(mp);
  }
  return out;
}

const under = (p: string, dir: string): boolean => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');

/**
 * The plan for one worker. `mounts`: the host's mount points (mountinfo order); `keep`: absolute
 * paths the worker needs (node binary, worker script); `existingTmp`: which TMP_DIRS exist on the
 * host; `quotaBytes` and `uid`: the workdir tmpfs. The workdir line's target is `.`, which the
 * root shell replaces with the workdir (the plan does not know it: the sandbox is generic over
 * workers). Parents come before children, each path once.
 */
export function mountPlan(mounts: readonly string[], keep: readonly string[], existingTmp: readonly string[], quotaBytes: number, uid: number): MountLine[] {
  const plan: MountLine[] = [];
  const seen = new Set<string>();
  const binds = mounts
    .filter((mp) => !existingTmp.some((d) => under(mp, d)))
    // the namespace's own /proc (unshare --mount-proc) replaces the host's and its submounts
    .filter((mp) => mp === '/proc' || !under(mp, '/proc'))
    .map((mp, i) => ({ mp, i, depth: mp === '/' ? 0 : mp.split('/').length - 1 }))
    .sort((a, b) => a.depth - b.depth || a.i - b.i);
  for (const { mp } of binds) {
    if (seen.has(mp)) continue;
    seen.add(mp);
    plan.push({ source: mp, target: mp, fstype: 'none', options: 'bind,ro' });
  }
  for (const d of existingTmp) plan.push({ source: 'tmpfs', target: d, fstype: 'tmpfs', options: `size=${TMP_SIZE},mode=1777,nosuid,nodev` });
  const kept = new Set<string>();
  for (const k of keep) {
    const d = existingTmp.find((t) => k.startsWith(t + '/'));
    if (!d) continue;
    // the top entry below the tmp dir: a checkout's root, with its node_modules
    const top = `${d}/${k.slice(d.length + 1).split('/')[0]}`;
    if (kept.has(top)) continue;
    kept.add(top);
    plan.push({ source: top, target: top, fstype: 'none', options: 'bind,ro,X-mount.mkdir' });
  }
  plan.push({ source: 'tmpfs', target: '.', fstype: 'tmpfs', options: `size=${quotaBytes},mode=0700,uid=${uid},gid=${uid},nosuid,nodev,X-mount.mkdir` });
  return plan;
}

/** The plan as the root shell reads it: one `source target fstype options` per line. */
export function planText(plan: readonly MountLine[]): string {
  return plan.map((l) => `${l.source} ${l.target} ${l.fstype} ${l.options}`).join('\n');
}

/**
 * The root shell's part (sh, pid 1 of the job's namespaces, still root): sets the hostname, writes
 * the plan as an fstab with every target under the new root (the workdir, `$W`, which is a
 * directory the host made and nothing else uses), mounts it all with one `mount -a`, then runs the
 * rest of its arguments chrooted into the new root, in the workdir. Arguments: `$1` hostname,
 * `$2` plan; the workdir comes from `GPULAB_WORKDIR`. Exit 125 on any failure (fail closed).
 */
export const ROOTFS_SCRIPT = [
  'W=$GPULAB_WORKDIR',
  'case $W in *[[:space:]]*|[!/]*|"") echo "gpulab sandbox: the workdir must be an absolute path without blanks: $W" >&2; exit 125;; esac',
  'cd "$W" || exit 125',
  '[ -z "$1" ] || echo "$1${GPULAB_JOB_MARKER%%-*}" > /proc/sys/kernel/hostname || exit 125',
  'while read -r s t f o; do [ "$t" = . ] && t=$W; printf \'%s %s%s %s %s 0 0\\n\' "$s" "$W" "$t" "$f" "$o"; done > "$W/.mounts" <<EOF',
  '$2',
  'EOF',
  'mount -a --fstab "$W/.mounts" || exit 125',
  'shift 2',
  'exec unshare --root="$W" --wd="$W" "$@"',
].join('\n');
