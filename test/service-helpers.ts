import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger } from '../src/live/json-log.ts';
import { MARKER_ENV } from '../src/live/proc-scan.ts';
import { canonicalJson, jobHash } from '../src/service/attestation.ts';
import { ServiceConfigSchema, type ServiceConfig } from '../src/service/config.ts';
import { buildServer } from '../src/service/http.ts';
import { JobService } from '../src/service/job-service.ts';

export interface TestKey {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly publicKey: string;
}

export function testKey(id: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { id, privateKey, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Signs a manifest for `job` (RFC 8785 canonical JSON, Ed25519); `over` alters the payload. */
export function signed(job: Record<string, unknown>, key: TestKey, tenant: string, over: Record<string, unknown> = {}) {
  const payload = { tenant, keyId: key.id, jobHash: jobHash(job), issuedAt: new Date().toISOString(), nonce: randomUUID(), ...over };
  return { ...job, manifest: { payload, signature: sign(null, Buffer.from(canonicalJson(payload)), key.privateKey).toString('base64') } };
}

export function testConfig(stateDir: string, over: Record<string, unknown> = {}): ServiceConfig {
  return ServiceConfigSchema.parse({
    stateDir,
    cluster: { nodes: [{ prefix: 'cpu-', count: 1, cpu: 2000, memory: 4096 }] },
    tenants: [{ name: 'team-a' }, { name: 'team-b', rateLimit: { perSec: 1, burst: 2 } }],
    admission: { maxQueue: 5 },
    attestation: { required: false },
    sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'] },
    drainGraceSec: 0,
    ...over,
  });
}

export function tempState(): string {
  return mkdtempSync(join(tmpdir(), 'gpulab-serve-test-'));
}

/** A service and its fastify app on the state dir, with logs kept in memory. */
export async function startService(cfg: ServiceConfig, dev = false) {
  const logs: string[] = [];
  const svc = await JobService.open({ config: cfg, dev, logger: new JsonLogger({ write: (l) => logs.push(l) }) });
  const app = buildServer(svc, cfg.admission);
  return { svc, app, logs, close: async () => (await svc.close(0), await app.close()) };
}

/** Worker processes (the executor's marker variable) whose working directory is under `root`. */
export function workers(root: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(`${MARKER_ENV}=`) && readlinkSync(`/proc/${e}/cwd`).startsWith(root)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** A real `npm run serve` process on `<state>/serve.yaml`, port 0; resolves with its URL once it says ready. */
export function serveProcess(state: string): Promise<{ p: ChildProcess; url: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', '--config', join(state, 'serve.yaml'), '--state', state, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    p.stdout!.on('data', (d) => {
      out += d;
      // It listens first, recovers, then says ready.
      const m = /listening on (http:\/\/\S+)\n(?:.*\n)*ready \(epoch \d+\)/.exec(out);
      if (m) resolve({ p, url: m[1] });
    });
    p.on('exit', (code) => reject(new Error(`service exited ${code}: ${err.slice(-2000)}`)));
  });
}
