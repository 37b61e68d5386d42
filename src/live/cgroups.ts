import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per-job control groups, cgroup v1 (one directory per controller under
 * `/sys/fs/cgroup/<controller>/`) or v2 (one directory in the unified hierarchy). `detectCgroups`
 * probes by creating the parent group; everything else assumes the probe succeeded.
 */
export type CgroupVersion = 'v1' | 'v2';

/** A controller we limit with; `io` is the v2 `io` controller or the v1 `blkio` one. */
export type Controller = 'memory' | 'cpu' | 'pids' | 'io';

/**
 * Per-job block I/O bandwidth, bytes per second, on each listed whole-disk device (`major:minor`,
 * the disks behind the mounted block filesystems). v2 writes `io.max`, v1 the blkio throttle files.
 * On v1, buffered writes are not throttled (writeback is not charged to the job's group): the
 * limit binds reads and direct I/O.
 */
export interface IoLimit {
  readonly devices: readonly string[];
  readonly readBps: number;
  readonly writeBps: number;
}

export interface CgroupSupport {
  readonly version: CgroupVersion;
  readonly root: string;
  /** Controllers we limit with: a subset of memory, cpu, pids, io. */
  readonly controllers: readonly Controller[];
  /** Set when `io` is among the controllers and there is a disk to limit. */
  readonly io?: IoLimit;
}

export interface CgroupLimits {
  readonly memoryBytes: number;
  /** milli-CPU; 0 = unlimited. */
  readonly milliCpu: number;
  readonly pidsMax: number;
}

const PARENT = 'gpulab';
const CONTROLLERS = ['memory', 'cpu', 'pids', 'io'] as const;
/** The v1 hierarchy directory of each controller (io is `blkio` there). */
const V1_DIR: Record<Controller, string> = { memory: 'memory', cpu: 'cpu', pids: 'pids', io: 'blkio' };
/** Where a v1 controller is usable: its throttle files for io, else cgroup.procs. */
const V1_PROBE: Record<Controller, string> = { memory: 'cgroup.procs', cpu: 'cgroup.procs', pids: 'cgroup.procs', io: 'blkio.throttle.read_bps_device' };

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a writable cgroup hierarchy, or explains why there is none. Idempotent. `io` gives the
 * per-job bandwidth; the io controller is used only when there is a disk to limit.
 */
export function detectCgroups(root = '/sys/fs/cgroup', io: { readBps: number; writeBps: number } = DEFAULT_IO_BPS): { kind: 'ok'; support: CgroupSupport } | { kind: 'none'; reason: string } {
  const devices = blockDevices();
  const withIo = (s: Omit<CgroupSupport, 'io'>): CgroupSupport => {
    if (!s.controllers.includes('io')) return s;
    if (devices.length === 0) return { ...s, controllers: s.controllers.filter((c) => c !== 'io') };
    return { ...s, io: { devices, ...io } };
  };
  if (process.getuid?.() !== 0) return { kind: 'none', reason: 'not root' };
  if (existsSync(join(root, 'cgroup.controllers'))) {
    const avail = readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    const controllers = CONTROLLERS.filter((c) => avail.includes(c));
    if (controllers.length === 0) return { kind: 'none', reason: 'cgroup v2 without memory/cpu/pids controllers' };
    const enable = controllers.map((c) => `+${c}`).join(' ');
    try {
      mkdirSync(join(root, PARENT), { recursive: true });
    } catch (e) {
      return { kind: 'none', reason: `cgroup v2 not writable: ${(e as Error).message}` };
    }
    // Controllers must be enabled for children at each level ("no internal processes" holds: the
    // parent group itself never holds a process).
    tryWrite(join(root, 'cgroup.subtree_control'), enable);
    tryWrite(join(root, PARENT, 'cgroup.subtree_control'), enable);
    const enabled = readFileSync(join(root, PARENT, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/);
    const usable = controllers.filter((c) => enabled.includes(c));
    if (usable.length === 0) return { kind: 'none', reason: 'cgroup v2: could not enable controllers for child groups' };
    return { kind: 'ok', support: withIo({ version: 'v2', root, controllers: usable }) };
  }
  const usable = CONTROLLERS.filter((c) => existsSync(join(root, V1_DIR[c], V1_PROBE[c])));
  if (usable.length === 0) return { kind: 'none', reason: `no cgroup v1 memory/cpu/pids controllers under ${root}` };
  const ok: Controller[] = [];
  for (const c of usable) {
    try {
      mkdirSync(join(root, V1_DIR[c], PARENT), { recursive: true });
      ok.push(c);
    } catch {
      // not writable: leave this controller out
    }
  }
  if (ok.length === 0 || (ok.length === 1 && ok[0] === 'io')) return { kind: 'none', reason: 'cgroup v1 controllers not writable' };
  return { kind: 'ok', support: withIo({ version: 'v1', root, controllers: ok }) };
}

/** Default per-job I/O bandwidth (bytes/s), read and write. */
export const DEFAULT_IO_BPS = { readBps: 256 * 2 ** 20, writeBps: 256 * 2 ** 20 } as const;

/**
 * `major:minor` of the whole disks behind the mounted block filesystems (a partition maps to its
 * disk: the throttle accepts whole disks only), ascending and without duplicates.
 */
export function blockDevices(mountinfo = '/proc/self/mountinfo'): string[] {
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  for (const line of text.split('\n')) {
    const dev = line.split(' ')[2];
    if (!dev || dev.startsWith('0:')) continue;
    const sys = `/sys/dev/block/${dev}`;
    if (!existsSync(sys)) continue;
    if (existsSync(join(sys, 'partition'))) {
      try {
        out.add(readFileSync(join(sys, '..', 'dev'), 'utf8').trim());
      } catch {
        // no parent disk visible
      }
    } else out.add(dev);
  }
  return [...out].sort();
}

/** One job's control group (a directory per controller in v1, a single one in v2). */
export class JobCgroup {
  readonly dirs: readonly string[];

  constructor(
    private readonly s: CgroupSupport,
    readonly name: string,
  ) {
    this.dirs = s.version === 'v2' ? [join(s.root, PARENT, name)] : s.controllers.map((c) => join(s.root, V1_DIR[c], PARENT, name));
    for (const d of this.dirs) mkdirSync(d, { recursive: true });
  }

  /** `cgroup.procs` files a process writes its pid into to join (before it execs the job). */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  private dir(c: Controller): string | undefined {
    if (!this.s.controllers.includes(c)) return undefined;
    return this.s.version === 'v2' ? this.dirs[0] : join(this.s.root, V1_DIR[c], PARENT, this.name);
  }

  /** Writes the support's I/O limit (idempotent); returns the files that could not be set. */
  private setIo(): string[] {
    const dir = this.dir('io');
    const io = this.s.io;
    if (!dir || !io) return [];
    const failed: string[] = [];
    for (const d of io.devices) {
      if (this.s.version === 'v2') {
        if (!tryWrite(join(dir, 'io.max'), `${d} rbps=${io.readBps} wbps=${io.writeBps}`)) failed.push(`io.max(${d})`);
      } else {
        if (!tryWrite(join(dir, 'blkio.throttle.read_bps_device'), `${d} ${io.readBps}`)) failed.push(`blkio.throttle.read_bps_device(${d})`);
        if (!tryWrite(join(dir, 'blkio.throttle.write_bps_device'), `${d} ${io.writeBps}`)) failed.push(`blkio.throttle.write_bps_device(${d})`);
      }
    }
    return failed;
  }

  /** Applies limits; returns the ones that could not be set (e.g. memory below current use). */
  setLimits(l: CgroupLimits): string[] {
    const failed: string[] = [];
    const mem = this.dir('memory');
    const cpu = this.dir('cpu');
    const pids = this.dir('pids');
    const periodUs = 100_000;
    const quotaUs = l.milliCpu > 0 ? Math.max(1000, Math.round((l.milliCpu / 1000) * periodUs)) : -1;
    if (this.s.version === 'v2') {
      if (mem && !tryWrite(join(mem, 'memory.max'), String(l.memoryBytes))) failed.push('memory.max');
      if (mem) tryWrite(join(mem, 'memory.swap.max'), '0');
      if (cpu && !tryWrite(join(cpu, 'cpu.max'), `${quotaUs < 0 ? 'max' : quotaUs} ${periodUs}`)) failed.push('cpu.max');
      if (pids && !tryWrite(join(pids, 'pids.max'), String(l.pidsMax))) failed.push('pids.max');
    } else {
      if (mem) {
        // memsw (memory+swap) must stay >= memory: raise memory first when growing, memsw first when shrinking.
        const memsw = join(mem, 'memory.memsw.limit_in_bytes');
        const hasSw = existsSync(memsw);
        const a = tryWrite(join(mem, 'memory.limit_in_bytes'), String(l.memoryBytes));
        if (hasSw) tryWrite(memsw, String(l.memoryBytes));
        if (!a && !tryWrite(join(mem, 'memory.limit_in_bytes'), String(l.memoryBytes))) failed.push('memory.limit_in_bytes');
      }
      if (cpu) {
        tryWrite(join(cpu, 'cpu.cfs_period_us'), String(periodUs));
        if (!tryWrite(join(cpu, 'cpu.cfs_quota_us'), String(quotaUs))) failed.push('cpu.cfs_quota_us');
      }
      if (pids && !tryWrite(join(pids, 'pids.max'), String(l.pidsMax))) failed.push('pids.max');
    }
    failed.push(...this.setIo());
    return failed;
  }

  /** Pids (host namespace) currently in the group. */
  pids(): number[] {
    const out = new Set<number>();
    for (const d of this.dirs) {
      try {
        for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.add(Number(l));
      } catch {
        // group already gone
      }
    }
    return [...out].sort((a, b) => a - b);
  }

  /** True when the memory controller recorded an OOM kill (or a failed charge) in this group. */
  oomKilled(): boolean {
    const mem = this.dir('memory');
    if (!mem) return false;
    try {
      if (this.s.version === 'v2') return /oom_kill [1-9]/.test(readFileSync(join(mem, 'memory.events'), 'utf8'));
      if (/oom_kill [1-9]/.test(readFileSync(join(mem, 'memory.oom_control'), 'utf8'))) return true;
      return Number(readFileSync(join(mem, 'memory.failcnt'), 'utf8')) > 0;
    } catch {
      return false;
    }
  }

  /** SIGKILLs every process in the group (cgroup.kill on v2 when present), repeating until empty. */
  killAll(): void {
    if (this.s.version === 'v2' && existsSync(join(this.dirs[0], 'cgroup.kill'))) tryWrite(join(this.dirs[0], 'cgroup.kill'), '1');
    for (let round = 0; round < 50; round++) {
      const pids = this.pids();
      if (pids.length === 0) return;
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** Removes the group's directories (they must be empty of processes). Returns false if busy. */
  remove(): boolean {
    let ok = true;
    for (const d of this.dirs) {
      try {
        if (existsSync(d)) rmdirSync(d);
      } catch {
        ok = false;
      }
    }
    return ok;
  }
}

/** Lists leftover job groups (names) under the parent group, e.g. from a crashed earlier run. */
export function listJobCgroups(s: CgroupSupport): string[] {
  const base = s.version === 'v2' ? join(s.root, PARENT) : join(s.root, V1_DIR[s.controllers[0]], PARENT);
  try {
    return readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}
