import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signed, startService, tempState, testConfig, testKey } from './service-helpers.ts';

const dir = tempState();
const store = mkdtempSync(join(tmpdir(), 'gpulab-models-'));
const outside = mkdtempSync(join(tmpdir(), 'gpulab-outside-'));
afterAll(() => {
  for (const d of [dir, store, outside]) rmSync(d, { recursive: true, force: true });
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('model hashes: the job names model files in the store, the manifest signs their sha256, admission checks them', () => {
  it('match admits and records the hashes; mismatch, missing file, unattested model and paths out of the store are refused with the field named and a report stored', async () => {
    mkdirSync(join(store, 'sub'));
    writeFileSync(join(store, 'a.bin'), 'weights A');
    writeFileSync(join(store, 'sub', 'b.bin'), 'weights B');
    writeFileSync(join(outside, 'secret.bin'), 'not a model');
    symlinkSync(join(outside, 'secret.bin'), join(store, 'link.bin'));
    const ka = testKey('ka');
    const cfg = testConfig(dir, {
      tenants: [{ name: 'team-a', keys: [{ id: ka.id, publicKey: ka.publicKey }] }],
      attestation: { required: true },
      models: { dir: store },
    });
    const s = await startService(cfg, false);
    try {
      const submit = (models: string[], modelHashes: Record<string, string>) =>
        s.app.inject({ method: 'POST', url: '/v1/jobs', payload: signed({ tenant: 'team-a', work: { kind: 'sleep', ms: 5 }, models }, ka, 'team-a', { modelHashes }) });
      const good = { 'a.bin': sha('weights A'), 'sub/b.bin': sha('weights B') };

      // Match: admitted, the verified hashes on the job's attestation report.
      const ok = await submit(['a.bin', 'sub/b.bin'], good);
      expect(ok.statusCode).toBe(201);
      const job = (await s.app.inject(`/v1/jobs/${ok.json().id}`)).json();
      expect(job.attestation).toMatchObject({ verdict: 'verified', models: good });

      const refusals: [string, number, string, string][] = [];
      const expectRefused = async (models: string[], hashes: Record<string, string>, status: number, code: string, field: string) => {
        const r = await submit(models, hashes);
        expect([r.statusCode, r.json().error.code, r.json().error.field], `${code} ${field}`).toEqual([status, code, field]);
        refusals.push([code, status, field, r.json().error.message]);
      };
      // Mismatch: the second model's bytes differ from what was signed.
      await expectRefused(['a.bin', 'sub/b.bin'], { ...good, 'sub/b.bin': sha('other weights') }, 403, 'model-hash-mismatch', 'models.1');
      // Missing file; a model the job names but the manifest does not sign; a signed one the job does not name.
      await expectRefused(['a.bin', 'nope.bin'], { ...good, 'nope.bin': sha('x') }, 403, 'unknown-model', 'models.1');
      await expectRefused(['a.bin', 'sub/b.bin'], { 'a.bin': good['a.bin'] }, 403, 'model-unattested', 'models.1');
      await expectRefused(['a.bin'], { 'a.bin': good['a.bin'], 'sub/b.bin': sha('x') }, 403, 'model-hash-mismatch', 'manifest.payload.modelHashes.sub/b.bin');
      // Paths out of the store: `..`, absolute, a symlink pointing out.
      await expectRefused(['../' + join(outside.split('/').pop()!, 'secret.bin')], {}, 400, 'bad-model-path', 'models.0');
      await expectRefused(['sub/../../x.bin'], {}, 400, 'bad-model-path', 'models.0');
      await expectRefused([join(outside, 'secret.bin')], {}, 400, 'bad-model-path', 'models.0');
      await expectRefused(['link.bin'], { 'link.bin': sha('not a model') }, 400, 'bad-model-path', 'models.0');
      expect(refusals[0][3]).toMatch(/^model 'sub\/b\.bin': sha256 [0-9a-f]{12}… differs from the manifest's [0-9a-f]{12}…$/);

      // The file changes (the cache is keyed by mtime and size): the old hash no longer matches.
      writeFileSync(join(store, 'a.bin'), 'weights A, retrained');
      await expectRefused(['a.bin'], { 'a.bin': good['a.bin'] }, 403, 'model-hash-mismatch', 'models.0');
      expect((await submit(['a.bin'], { 'a.bin': sha('weights A, retrained') })).statusCode).toBe(201);

      // Every refusal wrote an attestation report naming its code, with the hashes read up to it.
      await s.app.inject('/readyz');
      const db = new Database(join(dir, 'state.sqlite'), { readonly: true });
      const reports = (db.prepare('SELECT report FROM attestations WHERE job_id IS NULL ORDER BY id').all() as { report: string }[]).map((r) => JSON.parse(r.report));
      db.close();
      expect(reports.map((r) => r.code)).toEqual(refusals.map((r) => r[0]));
      expect(reports[0]).toMatchObject({ verdict: 'refused', code: 'model-hash-mismatch', models: { 'a.bin': good['a.bin'], 'sub/b.bin': sha('weights B') } });
    } finally {
      await s.close();
    }
  }, 20_000);

  it('without a model store, a job naming models is refused 400 models-unsupported; a missing models.dir fails at start naming the setting', async () => {
    const d2 = tempState();
    try {
      const s = await startService(testConfig(d2), true);
      try {
        const r = await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', work: { kind: 'sleep', ms: 5 }, models: ['a.bin'] } });
        expect([r.statusCode, r.json().error.code, r.json().error.field]).toEqual([400, 'models-unsupported', 'models']);
      } finally {
        await s.close();
      }
      await expect(startService(testConfig(d2, { models: { dir: join(store, 'absent') } }), true)).rejects.toThrow(/^models\.dir: .*absent: ENOENT$/);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
  });
});
