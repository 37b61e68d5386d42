import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAVE_CHROMIUM, LAUNCH } from './open-viewer.ts';

/**
 * End to end, as an operator runs it: a real `npm run serve` process with attestation ON (two
 * tenants' Ed25519 public keys in a temp config), jobs signed with `npm run sign` and submitted
 * over HTTP (one refused: signed with the other tenant's key), run as sandboxed child processes;
 * `/metrics` scraped; then the state directory opened with `npm run viz -- <state dir>` in
 * headless Chromium and a screenshot saved to test-output/service-run.png.
 */

const HAVE = HAVE_CHROMIUM;
const TITLE = HAVE ? 'gpulab serve end to end: signed jobs over HTTP, metrics, the viewer' : `gpulab serve end to end — SKIPPED: ${CHROMIUM} not found (apt-get install chromium)`;
const SHOTS = resolve('test-output');

const tmp = mkdtempSync(join(tmpdir(), 'gpulab-e2e-serve-'));
const procs: ChildProcess[] = [];
afterAll(() => {
  // Process groups this test started (npm → tsx → node), by their own ids.
  for (const p of procs) if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts `npm run <args>` in its own process group; resolves with the first stdout match of `ready`. */
function npm(args: string[], ready: RegExp, timeoutMs: number): Promise<{ proc: ChildProcess; match: RegExpExecArray; out: () => string; err: () => string }> {
  const proc = spawn('npm', ['run', '-s', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`npm run ${args.join(' ')}: no ${ready} within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err.slice(-3000)}`)), timeoutMs);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(t);
        ok({ proc, match: m, out: () => out, err: () => err });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      fail(new Error(`npm run ${args.join(' ')} exited (${code}) before ${ready}\nstderr: ${err.slice(-3000)}`));
    });
  });
}

/** Runs `npm run sign -- …` on a job and returns the signed body. */
function signJob(job: object, key: string, keyId: string, tenant?: string): Promise<Record<string, unknown>> {
  return new Promise((ok, fail) => {
    const p = spawn('npm', ['run', '-s', 'sign', '--', '--key', key, '--key-id', keyId, ...(tenant ? ['--tenant', tenant] : []), '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => (code === 0 ? ok(JSON.parse(out)) : fail(new Error(`npm run sign: exit ${code}: ${err}`))));
    p.stdin.end(JSON.stringify(job));
  });
}

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!HAVE)(TITLE, () => {
  it('signed jobs run sandboxed, the wrong tenant key is refused 403, metrics count both, the viewer shows the run', async () => {
    // Two tenants, each with its own key pair (PKCS#8 private key files, as npm run sign -- --keygen writes).
    const keys: Record<string, { file: string; pub: string }> = {};
    for (const t of ['team-a', 'team-b']) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const file = join(tmp, `${t}.key`);
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
      keys[t] = { file, pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    }
    const state = join(tmp, 'state');
    const cfgFile = join(tmp, 'serve.yaml');
    const yamlKey = (pem: string) => JSON.stringify(pem);
    writeFileSync(
      cfgFile,
      `listen: { host: 127.0.0.1, port: 0 }
stateDir: ${JSON.stringify(state)}
cluster:
  nodes:
    - { prefix: cpu-, count: 2, cpu: 2000, memory: 4096 }
tenants:
  - name: team-a
    keys: [{ id: team-a-1, publicKey: ${yamlKey(keys['team-a'].pub)} }]
  - name: team-b
    keys: [{ id: team-b-1, publicKey: ${yamlKey(keys['team-b'].pub)} }]
attestation: { required: true }
sandbox: { timeoutSec: 60, graceMs: 500, minMemoryMiB: 192, backends: [cpu] }
drainGraceSec: 10
`,
    );
    const serve = await npm(['serve', '--', '--config', cfgFile], /ready \(epoch 1\)/, 60_000);
    const base = /listening on (http:\/\/[^\s]+)/.exec(serve.out())![1];
    expect(serve.err()).not.toContain('ATTESTATION IS OFF');
    const isolation = serve
      .err()
      .split('\n')
      .filter((l) => l.includes('"isolation"'))
      .map((l) => JSON.parse(l))[0];
    expect(isolation.layers.length).toBeGreaterThan(0);

    const jobs = [
      { tenant: 'team-a', command: ['/bin/sh', '-c', 'echo hello from team-a; sleep 1.5; id -u'], idempotencyKey: 'a-1' },
      { tenant: 'team-a', work: { kind: 'matmul', n: 128, gflop: 0.05 }, idempotencyKey: 'a-2' },
      { tenant: 'team-b', command: ['/bin/sh', '-c', 'echo hello from team-b; sleep 1'], idempotencyKey: 'b-1' },
    ];
    const signedJobs = await Promise.all([
      signJob(jobs[0], keys['team-a'].file, 'team-a-1'),
      signJob(jobs[1], keys['team-a'].file, 'team-a-1'),
      signJob(jobs[2], keys['team-b'].file, 'team-b-1'),
      // team-a's key signing for team-b: refused.
      signJob({ tenant: 'team-b', command: ['/bin/sh', '-c', 'echo impostor'] }, keys['team-a'].file, 'team-a-1', 'team-b'),
    ]);
    const post = (body: object) => fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ids: string[] = [];
    for (const b of signedJobs.slice(0, 3)) {
      const r = await post(b);
      expect(r.status, JSON.stringify(b)).toBe(201);
      ids.push(((await r.json()) as { id: string }).id);
    }
    const refused = await post(signedJobs[3]);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'wrong-tenant', field: 'manifest' });
    const unsigned = await post({ tenant: 'team-a', command: ['/bin/true'] });
    expect(unsigned.status).toBe(400);

    // They run as real child processes and end succeeded.
    const view = async (id: string) => (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { state: string; attestation: { verdict: string; keyId: string } };
    for (const id of ids) {
      let j = await view(id);
      for (let i = 0; i < 300 && ['queued', 'running'].includes(j.state); i++) {
        await pause(50);
        j = await view(id);
      }
      expect(j.state, id).toBe('succeeded');
      expect(j.attestation.verdict).toBe('verified');
    }
    const out = (await (await fetch(`${base}/v1/jobs/${ids[0]}/output`)).json()) as { stdout: { text: string } };
    expect(out.stdout.text).toMatch(/^hello from team-a\n\d+\n$/);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('gpulab_admissions_total{result="accepted",reason="ok"} 3');
    expect(metrics).toContain('gpulab_admissions_total{result="refused",reason="wrong-tenant"} 1');
    expect(metrics).toContain('gpulab_admissions_total{result="refused",reason="bad-manifest"} 1');
    expect(metrics).toContain('gpulab_jobs_running 0');
    expect(metrics).toMatch(/gpulab_job_run_seconds_count 3\n/);

    // SIGTERM (to the group: npm passes it on as a terminal would): the service drains and says
    // `stopped`; events.jsonl is complete.
    process.kill(-serve.proc.pid!, 'SIGTERM');
    for (let i = 0; i < 300 && !serve.err().includes('"msg":"stopped"'); i++) await pause(50);
    expect(serve.err()).toContain('"msg":"stopped"');
    const events = readFileSync(join(state, 'runs', 'epoch-1', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.ev === 'finish').map((e) => e.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    // The viewer on the state directory.
    const port = await freePort();
    const viz = await npm(['viz', '--', state, '--port', String(port)], /http:\/\/127\.0\.0\.1:\d+/, 60_000);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(viz.match[0]);
      await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
      const st = await page.evaluate(() => (window as unknown as { gpulab: { state(): { run: string; jobs: number; stats: { jobsDrawn: number } } } }).gpulab.state());
      expect(st.run).toBe('runs/epoch-1');
      expect(st.jobs).toBe(3);
      expect(st.stats.jobsDrawn).toBe(3);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'service-run.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      process.kill(-viz.proc.pid!, 'SIGTERM');
    }
  }, 180_000);
});
