import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobOutput } from '../src/live/live-executor.ts';
import { detectSandbox, jobTmpDirs, layerNames, privateTmpDirs, type SandboxLayers } from '../src/live/sandbox.ts';
import { mountPlan, mountPoints, planText } from '../src/live/sandbox-mounts.ts';
import { WorkSpecSchema, type WorkSpec } from '../src/live/work-spec.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import { harness, liveJob } from './live-helpers.ts';

// Every layer is asserted from inside a real job run by the live executor: what the kernel lets
// the job do. A layer the machine lacks is skipped, its test named after the missing feature.
const node = process.execPath;
const script = await workerScript();
const QUOTA_MIB = 16;
const IO_BPS = 1024 * 1024;
const L = detectSandbox('auto', { node, script }, { workdirQuotaMiB: QUOTA_MIB, ioReadBps: IO_BPS, ioWriteBps: 2 * IO_BPS });

/** The reason `layer` is off here ('' when it is on). */
function missing(on: boolean | undefined, layer: string): string {
  if (on) return '';
  return L.unavailable?.find((u) => u.startsWith(layer)) ?? `${layer}: not detected`;
}
const title = (name: string, why: string) => (why ? `${name} — skipped: ${why}` : name);

type H = Awaited<ReturnType<typeof harness>>;
async function outputHarness(layers: SandboxLayers, over: Parameters<typeof harness>[0] = {}) {
  const out = new Map<string, JobOutput>();
  const h = await harness({ layers, onOutput: (o) => out.set(o.jobId, o), ...over });
  /** Runs `js` with node inside a job; returns its completion and its stdout parsed as JSON. */
  const js = async (id: string, code: string, extra: Partial<WorkSpec> = {}) => {
    const c = await h.run(liveJob(id, { kind: 'command', argv: [node, '-e', code], timeoutSec: 20, ...extra } as WorkSpec));
    const o = out.get(id)!;
    if (c.outcome !== 'succeeded') throw new Error(`${id}: ${c.outcome} ${c.reason ?? ''}: ${o.stderr.text}`);
    return JSON.parse(o.stdout.text) as Record<string, unknown>;
  };
  return { h, js, out };
}

describe('sandbox hardening: each layer enforced by the kernel, seen from inside a job', () => {
  let x: Awaited<ReturnType<typeof outputHarness>>;
  const hostMarker = `/tmp/gpulab-host-marker-${process.pid}`;
  beforeAll(async () => {
    x = await outputHarness(L);
    writeFileSync(hostMarker, 'host');
  });
  afterAll(async () => {
    rmSync(hostMarker, { force: true });
    await x.h.x.shutdown();
    expect(x.h.x.strays()).toEqual([]);
  });

  it('reports every layer: applied in the layer names, or off with its reason', () => {
    const names = layerNames(L);
    const want: [string, boolean | undefined, string][] = [
      ['read-only-root', L.readOnlyRoot, 'read-only-root'],
      ['uts-ns', L.utsIpc, 'uts-ns+ipc-ns'],
      ['caps-dropped', L.capsDropped, 'caps-dropped'],
      ['netns(none|loopback)', L.loopback, 'network-loopback'],
    ];
    for (const [name, on, layer] of want) {
      if (on) expect(names).toContain(name);
      else expect(L.unavailable?.some((u) => u.startsWith(`${layer}: `))).toBe(true);
    }
    if (L.cgroup?.io) expect(names.some((n) => n.startsWith('io-limit('))).toBe(true);
    else expect(L.unavailable?.some((u) => u.startsWith('io-limit: '))).toBe(true);
    if (L.readOnlyRoot) expect(names).toContain(`workdir-quota(tmpfs ${QUOTA_MIB} MiB)`);
  });

  const roWhy = missing(L.readOnlyRoot, 'read-only-root');
  it.skipIf(roWhy !== '')(title('read-only root: writes anywhere but the workdir and the private tmp dirs fail with EROFS', roWhy), async () => {
    const r = await x.js(
      'ro',
      `const fs=require('fs');const w=(p)=>{try{fs.writeFileSync(p,'x');return 'written'}catch(e){return e.code}};
       const root=fs.readFileSync('/proc/self/mountinfo','utf8').split('\\n').find((l)=>l.split(' ')[4]==='/');
       console.log(JSON.stringify({root:w('/x'),etc:w('/etc/x'),usr:w('/usr/x'),var:w('/var/x'),
         work:w('./x'),tmp:w('/tmp/x'),vartmp:w('/var/tmp/x'),shm:w('/dev/shm/x'),rootOpts:root.split(' ')[5]}))`,
    );
    expect(r).toMatchObject({ root: 'EROFS', etc: 'EROFS', usr: 'EROFS', var: 'EROFS', work: 'written', tmp: 'written', vartmp: 'written', shm: 'written' });
    expect(String(r.rootOpts).split(',')).toContain('ro');
  });

  // Without the read-only root a worker that lives under /tmp keeps the host's /tmp (a private one would hide it).
  const tmpWhy = missing(L.privateTmp, 'netns+pidns') || (jobTmpDirs(L, [node, script]).includes('/tmp') ? '' : `worker under /tmp and ${missing(L.readOnlyRoot, 'read-only-root')}`);
  it.skipIf(tmpWhy !== '')(title('/tmp is private: the host does not see what a job writes there, nor the job the host files', tmpWhy), async () => {
    const name = `/tmp/gpulab-job-wrote-${process.pid}`;
    const r = await x.js('tmp', `const fs=require('fs');fs.writeFileSync(${JSON.stringify(name)},'x');console.log(JSON.stringify({sees:fs.existsSync(${JSON.stringify(hostMarker)})}))`);
    expect(r).toEqual({ sees: false });
    expect(existsSync(name)).toBe(false);
  });

  it.skipIf(roWhy !== '')(title('/tmp stays private when the worker itself lives under /tmp (bound back read-only)', roWhy), async () => {
    const dir = `/tmp/gpulab-checkout-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    symlinkSync(script, `${dir}/worker.mjs`);
    const y = await outputHarness(L, { workerScript: `${dir}/worker.mjs` });
    try {
      const name = `/tmp/gpulab-job-wrote-${process.pid}-2`;
      const r = await y.js('tmp2', `const fs=require('fs');fs.writeFileSync(${JSON.stringify(name)},'x');let w;try{fs.writeFileSync(${JSON.stringify(dir + '/x')},'x');w='written'}catch(e){w=e.code}console.log(JSON.stringify({sees:fs.existsSync(${JSON.stringify(hostMarker)}),worker:fs.existsSync(${JSON.stringify(dir + '/worker.mjs')}),w}))`);
      expect(r).toEqual({ sees: false, worker: true, w: 'EROFS' });
      expect(existsSync(name)).toBe(false);
      expect(existsSync(`${dir}/x`)).toBe(false);
    } finally {
      await y.h.x.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const utsWhy = missing(L.utsIpc, 'uts-ns+ipc-ns');
  it.skipIf(utsWhy !== '')(title('UTS and IPC namespaces: own hostname, host System V queues invisible', utsWhy), async () => {
    const mk = spawnSync('ipcmk', ['-Q'], { encoding: 'utf8' });
    const id = /(\d+)/.exec(mk.stdout)?.[1];
    expect(id, `ipcmk -Q: ${mk.stderr}`).toBeDefined();
    try {
      expect(readFileSync('/proc/sysvipc/msg', 'utf8')).toMatch(new RegExp(`\\s${id}\\s`));
      const r = await x.js('uts', `const fs=require('fs');console.log(JSON.stringify({host:require('os').hostname(),uts:fs.readlinkSync('/proc/self/ns/uts'),ipc:fs.readlinkSync('/proc/self/ns/ipc'),msg:fs.readFileSync('/proc/sysvipc/msg','utf8')}))`);
      expect(r.host).toMatch(/^gpulab-[0-9a-f]{8}$/);
      expect(r.host).not.toBe(hostname());
      expect(r.uts).not.toBe(readlinkSync('/proc/self/ns/uts'));
      expect(r.ipc).not.toBe(readlinkSync('/proc/self/ns/ipc'));
      expect(String(r.msg)).not.toMatch(new RegExp(`\\s${id}\\s`));
    } finally {
      spawnSync('ipcrm', ['-q', id!]);
    }
  });

  const capsWhy = missing(L.capsDropped, 'caps-dropped');
  it.skipIf(capsWhy !== '')(title('capabilities dropped: every capability set empty, no_new_privs set, uid nobody', capsWhy), async () => {
    const r = await x.js('caps', `const s=require('fs').readFileSync('/proc/self/status','utf8');const g=(k)=>new RegExp('^'+k+':\\\\s*(\\\\S+)','m').exec(s)[1];console.log(JSON.stringify({inh:g('CapInh'),prm:g('CapPrm'),eff:g('CapEff'),bnd:g('CapBnd'),amb:g('CapAmb'),nnp:g('NoNewPrivs'),uid:process.getuid()}))`);
    const zero = '0000000000000000';
    expect(r).toEqual({ inh: zero, prm: zero, eff: zero, bnd: zero, amb: zero, nnp: '1', uid: 65534 });
  });

  const quotaWhy = missing(L.readOnlyRoot, 'read-only-root');
  it.skipIf(quotaWhy !== '')(title(`workdir quota: a tmpfs of ${QUOTA_MIB} MiB, writing past it gets ENOSPC`, quotaWhy), async () => {
    const r = await x.js(
      'quota',
      `const fs=require('fs');fs.writeFileSync('small',Buffer.alloc(1<<20));const fd=fs.openSync('big','w');let n=0,code='none';
       try{for(;n<${2 * QUOTA_MIB};n++)fs.writeSync(fd,Buffer.alloc(1<<20))}catch(e){code=e.code}
       const t=require('child_process').execFileSync('stat',['-f','-c','%T','.'],{encoding:'utf8'}).trim();console.log(JSON.stringify({code,n,t}))`,
    );
    // 1 MiB already in 'small': at most QUOTA_MIB − 1 further whole MiB fit
    expect(r.code).toBe('ENOSPC');
    expect(r.n).toBeLessThan(QUOTA_MIB);
    expect(r.t).toBe('tmpfs');
  });

  describe('network policy', () => {
    let server: Server;
    let port = 0;
    let connections = 0;
    beforeAll(async () => {
      server = createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    // Listens on 127.0.0.1, connects to itself, then to the host's listener; prints what happened.
    const probe = (hostPort: () => number) => `const n=require('net');const r={};
      const self=()=>new Promise((res)=>{const s=n.createServer((c)=>{c.end('pong')});s.on('error',(e)=>{r.listen=e.code;res()});
        s.listen(0,'127.0.0.1',()=>{n.connect(s.address().port,'127.0.0.1').on('data',(d)=>{r.self=String(d);s.close();res()}).on('error',(e)=>{r.self=e.code;s.close();res()})})});
      const host=()=>new Promise((res)=>{n.connect(${hostPort()},'127.0.0.1').on('connect',()=>{r.host='connected';res()}).on('error',(e)=>{r.host=e.code;res()})});
      self().then(host).then(()=>console.log(JSON.stringify(r)))`;

    const netWhy = missing(L.netns, 'netns+pidns');
    it.skipIf(netWhy !== '')(title('none (default): no interface up, so even its own 127.0.0.1 is unreachable, and the host too', netWhy), async () => {
      const r = await x.js('net-none', probe(() => port));
      // binding 127.0.0.1 may succeed (the address is known), but with lo down no packet flows
      expect(r.self ?? r.listen).toMatch(/^(ENETUNREACH|EADDRNOTAVAIL)$/);
      expect(r.host).toMatch(/^(ENETUNREACH|EADDRNOTAVAIL)$/);
      expect(connections).toBe(0);
    });

    const loWhy = missing(L.loopback, 'network-loopback');
    it.skipIf(loWhy !== '')(title('loopback: a job talks to itself on 127.0.0.1 but not to the host listeners', loWhy), async () => {
      const r = await x.js('net-lo', probe(() => port), { network: 'loopback' });
      expect(r).toEqual({ self: 'pong', host: 'ECONNREFUSED' });
      expect(connections).toBe(0);
    });

    it.skipIf(netWhy !== '')(title('a loopback job where loopback cannot be set up fails with the reason, never runs without it', netWhy), async () => {
      const y = await outputHarness({ ...L, loopback: false });
      try {
        const c = await y.h.run(liveJob('net-refused', { kind: 'command', argv: ['/bin/true'], network: 'loopback' }));
        expect(c).toMatchObject({ outcome: 'failed', reason: 'network: loopback needs nsenter and ip (see the sandbox layers)' });
      } finally {
        await y.h.x.shutdown();
      }
    });

    it('a network policy other than none or loopback is refused at the edge, naming the field', () => {
      const r = WorkSpecSchema.safeParse({ kind: 'command', argv: ['true'], network: 'host' });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].path).toEqual(['network']);
      // in a scenario: the demand's work carries it
      const dir = mkdtempSync(join(tmpdir(), 'gpulab-net-scn-'));
      try {
        const yaml = readFileSync('test/fixtures/live-tiny.yaml', 'utf8').replace('work: { kind: sleep, ms: 200 }', 'work: { kind: command, argv: [/bin/true], network: NET }');
        writeFileSync(join(dir, 'ok.yaml'), yaml.replace('NET', 'loopback'));
        expect(loadScenario(join(dir, 'ok.yaml')).workload).toMatchObject({ demands: [{}, { work: { network: 'loopback' } }] });
        writeFileSync(join(dir, 'bad.yaml'), yaml.replace('NET', 'host'));
        expect(() => loadScenario(join(dir, 'bad.yaml'))).toThrow(/bad\.yaml[\s\S]*workload\.demands\.1\.work\.network/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  const ioWhy = L.cgroup?.io ? '' : (L.unavailable?.find((u) => u.startsWith('io-limit')) ?? 'io-limit: no io controller');
  it.skipIf(ioWhy !== '')(title('I/O limit: the job sits in a group whose bandwidth limit is set on each disk', ioWhy), async () => {
    const io = L.cgroup!.io!;
    const r = await x.js(
      'io-file',
      `const fs=require('fs');const cg=fs.readFileSync('/proc/self/cgroup','utf8').split('\\n').map((l)=>l.split(':'));
       const v1=cg.find((f)=>f[1]==='blkio');const v2=cg.find((f)=>f[0]==='0');
       const out=v1?{read:fs.readFileSync('/sys/fs/cgroup/blkio'+v1[2]+'/blkio.throttle.read_bps_device','utf8'),write:fs.readFileSync('/sys/fs/cgroup/blkio'+v1[2]+'/blkio.throttle.write_bps_device','utf8')}
         :{max:fs.readFileSync('/sys/fs/cgroup'+v2[2]+'/io.max','utf8')};console.log(JSON.stringify(out))`,
    );
    for (const d of io.devices) {
      if (L.cgroup!.version === 'v1') {
        expect(String(r.read)).toContain(`${d} ${IO_BPS}`);
        expect(String(r.write)).toContain(`${d} ${2 * IO_BPS}`);
      } else expect(String(r.max)).toContain(`${d} rbps=${IO_BPS} wbps=${2 * IO_BPS}`);
    }
  });

  // The node binary's disk, when it is one the limit covers: direct reads bypass the page cache.
  const nodeDisk = diskOf(node);
  const ioReadWhy = ioWhy || (nodeDisk && L.cgroup!.io!.devices.includes(nodeDisk) ? '' : `io-limit: ${node} is not on a throttled disk`);
  it.skipIf(ioReadWhy !== '')(title('I/O limit: 2 MiB of direct reads at 1 MiB/s take at least a second', ioReadWhy), async () => {
    const c = await x.h.run(liveJob('io-read', { kind: 'command', argv: ['/bin/sh', '-c', `dd if=${node} of=/dev/null bs=64k count=32 iflag=direct 2>&1`], timeoutSec: 20 }));
    expect(c.outcome).toBe('succeeded');
    const secs = Number(/copied, ([\d.]+) s/.exec(x.out.get('io-read')!.stdout.text)?.[1]);
    // 32 · 64 KiB = 2 MiB at 1 MiB/s: about 2 s; unthrottled it takes milliseconds
    expect(secs).toBeGreaterThanOrEqual(1);
  });
});

describe('sandbox hardening: the fallback without the read-only root', () => {
  const why = missing(L.pidns, 'netns+pidns');
  it.skipIf(why !== '')(title('still runs jobs in the namespaces, hostname and caps as detected, fresh tmpfs where the worker allows', why), async () => {
    const y = await outputHarness({ ...L, readOnlyRoot: false, workdirQuotaBytes: undefined });
    try {
      const name = `/tmp/gpulab-fallback-wrote-${process.pid}`;
      const r = await y.js('fallback', `const fs=require('fs');fs.writeFileSync('./x','x');fs.writeFileSync(${JSON.stringify(name)},'x');console.log(JSON.stringify({host:require('os').hostname(),eff:/CapEff:\\s*(\\S+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1]}))`);
      if (L.utsIpc) expect(r.host).toMatch(/^gpulab-[0-9a-f]{8}$/);
      if (L.capsDropped) expect(r.eff).toBe('0000000000000000');
      // the fallback keeps the host /tmp when the node binary or the worker live there
      expect(existsSync(name)).toBe(!privateTmpDirs([node, script]).includes('/tmp'));
      rmSync(name, { force: true });
    } finally {
      await y.h.x.shutdown();
    }
  });
});

/** `major:minor` of the whole disk holding `file`, or undefined. */
function diskOf(file: string): string | undefined {
  const dev = statSync(file).dev;
  const id = `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
  const sys = `/sys/dev/block/${id}`;
  if (!existsSync(sys)) return undefined;
  return existsSync(`${sys}/partition`) ? readFileSync(`${sys}/../dev`, 'utf8').trim() : id;
}

describe('the mount plan (pure)', () => {
  const info = (mps: string[]) => mps.map((mp, i) => `${i + 20} 1 0:${i} / ${mp} rw - x x rw`).join('\n');
  it('binds every host mount read-only, parents first, replaces tmp dirs and /proc submounts, keeps the worker, ends with the workdir', () => {
    const mounts = mountPoints(info(['/', '/sys/fs/cgroup', '/proc', '/proc/sys/fs/binfmt_misc', '/sys', '/tmp', '/tmp/x', '/dev/shm', '/data']));
    const plan = mountPlan(mounts, ['/tmp/checkout/.cache/worker.mjs', '/usr/bin/node'], ['/tmp', '/dev/shm'], 4096, 65534);
    expect(planText(plan).split('\n')).toEqual([
      '/ / none bind,ro',
      '/proc /proc none bind,ro',
      '/sys /sys none bind,ro',
      '/data /data none bind,ro',
      '/sys/fs/cgroup /sys/fs/cgroup none bind,ro',
      'tmpfs /tmp tmpfs size=64m,mode=1777,nosuid,nodev',
      'tmpfs /dev/shm tmpfs size=64m,mode=1777,nosuid,nodev',
      '/tmp/checkout /tmp/checkout none bind,ro,X-mount.mkdir',
      'tmpfs . tmpfs size=4096,mode=0700,uid=65534,gid=65534,nosuid,nodev,X-mount.mkdir',
    ]);
  });
});
