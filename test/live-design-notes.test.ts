import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/live/canonical-json.ts';
import { JsonLogger } from '../src/live/json-log.ts';
import { generateSigningKey, ManifestVerifier, signManifest } from '../src/live/manifest-signing.ts';
import { liveRunFamilies, renderMetrics } from '../src/live/metrics-text.ts';
import { fingerprint, SubmissionRegistry } from '../src/live/submission-registry.ts';

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members, so equal data gives equal text', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 'x' }], c: undefined } })).toBe('{"a":{"d":[1,{"y":"x","z":0}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
  it('refuses values JSON cannot carry exactly, naming where', () => {
    expect(() => canonicalJson({ a: [1, Infinity] })).toThrow('$.a[1]: non-finite');
    expect(() => canonicalJson({ a: 1n })).toThrow('$.a: bigint');
  });
});

describe('signed job manifests (ed25519)', () => {
  const key = generateSigningKey('ci');
  const other = generateSigningKey('ci');
  const verifier = new ManifestVerifier({ ci: key.publicKeyPem });
  const manifest = { id: 'j1', tenant: 'vision', work: { kind: 'matmul', size: 64, steps: 2 } };

  it('accepts a manifest signed by a trusted key, whatever the key order of the object', () => {
    const env = signManifest(manifest, key);
    const reordered = { ...env, manifest: { work: manifest.work, tenant: 'vision', id: 'j1' } };
    expect(verifier.check(env)).toEqual({ kind: 'valid', keyId: 'ci', manifest });
    expect(verifier.check(reordered).kind).toBe('valid');
  });
  it('rejects a manifest altered after signing', () => {
    const env = signManifest(manifest, key);
    const tampered = { ...env, manifest: { ...manifest, work: { kind: 'matmul', size: 4096, steps: 2 } } };
    expect(verifier.check(tampered)).toMatchObject({ kind: 'invalid', reason: 'bad-signature' });
  });
  it('rejects a signature by an untrusted key under a trusted key id, and unknown key ids', () => {
    expect(verifier.check(signManifest(manifest, other))).toMatchObject({ kind: 'invalid', reason: 'bad-signature' });
    const stranger = signManifest(manifest, generateSigningKey('stranger'));
    expect(verifier.check(stranger)).toMatchObject({ kind: 'invalid', reason: 'unknown-key' });
  });
  it('rejects malformed envelopes with the field named, without throwing', () => {
    expect(verifier.check({ v: 2, keyId: 'ci', manifest: {}, sig: 'AA==' })).toMatchObject({ kind: 'invalid', reason: 'malformed' });
    const r = verifier.check({ v: 1, keyId: 'ci', manifest: {} });
    expect(r.kind === 'invalid' && r.detail).toContain('sig');
    expect(verifier.check('not an object')).toMatchObject({ kind: 'invalid', reason: 'malformed' });
  });
  it('refuses to trust a key that is not ed25519', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => new ManifestVerifier({ legacy: rsa })).toThrow('trusted key legacy: expected ed25519, got rsa');
  });
});

describe('idempotent submission', () => {
  it('returns the same job for a resubmitted id and makes a job id only once', () => {
    const reg = new SubmissionRegistry();
    let n = 0;
    const mk = () => `j${n++}`;
    expect(reg.submit('s-1', { gpus: 1, work: { kind: 'sleep', ms: 5 } }, mk)).toEqual({ kind: 'created', jobId: 'j0' });
    // Same payload with keys in another order is the same submission.
    expect(reg.submit('s-1', { work: { ms: 5, kind: 'sleep' }, gpus: 1 }, mk)).toEqual({ kind: 'duplicate', jobId: 'j0' });
    expect(reg.submit('s-2', { gpus: 1 }, mk)).toEqual({ kind: 'created', jobId: 'j1' });
    expect(n).toBe(2);
    expect(reg.jobOf('s-1')).toBe('j0');
  });
  it('refuses the same id with a different payload as a conflict naming the first job', () => {
    const reg = new SubmissionRegistry();
    reg.submit('s-1', { gpus: 1 }, () => 'j0');
    const r = reg.submit('s-1', { gpus: 2 }, () => 'j9');
    expect(r).toMatchObject({ kind: 'conflict', jobId: 'j0' });
    expect(r.kind === 'conflict' && r.reason).toContain("submission 's-1' was already used for job j0");
    expect(reg.size).toBe(1);
  });
  it('fingerprints payloads by sha256 of canonical JSON', () => {
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint({})).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('Prometheus text exposition', () => {
  it('renders counters with escaped labels and cumulative histogram buckets', () => {
    const text = renderMetrics([
      { kind: 'counter', name: 'x_total', help: 'line1\nline2', samples: [{ labels: { path: 'a"b\\c\nd' }, value: 3 }] },
      { kind: 'histogram', name: 'lat_seconds', help: 'h', buckets: [0.1, 1], series: [{ labels: { pool: 'warm' }, observations: [0.05, 0.1, 0.5, 2] }] },
    ]);
    // Buckets: ≤0.1 holds 0.05 and 0.1 → 2; ≤1 adds 0.5 → 3; +Inf adds 2 → 4. Sum 0.05+0.1+0.5+2 = 2.65.
    expect(text).toBe(
      [
        '# HELP x_total line1\\nline2',
        '# TYPE x_total counter',
        'x_total{path="a\\"b\\\\c\\nd"} 3',
        '# HELP lat_seconds h',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{pool="warm",le="0.1"} 2',
        'lat_seconds_bucket{pool="warm",le="1"} 3',
        'lat_seconds_bucket{pool="warm",le="+Inf"} 4',
        'lat_seconds_sum{pool="warm"} 2.65',
        'lat_seconds_count{pool="warm"} 4',
        '',
      ].join('\n'),
    );
  });
  it('refuses bad metric or label names, duplicate families and unsorted buckets', () => {
    expect(() => renderMetrics([{ kind: 'gauge', name: '1bad', help: '', samples: [] }])).toThrow("invalid metric name '1bad'");
    expect(() => renderMetrics([{ kind: 'gauge', name: 'g', help: '', samples: [{ labels: { 'a-b': 'x' }, value: 1 }] }])).toThrow("invalid label name 'a-b'");
    const g = { kind: 'gauge', name: 'g', help: '', samples: [] } as const;
    expect(() => renderMetrics([g, g])).toThrow("metric 'g' declared twice");
    expect(() => renderMetrics([{ kind: 'histogram', name: 'h', help: '', buckets: [1, 1], series: [] }])).toThrow('buckets must ascend');
  });
  it('sums a live run by tenant/outcome, pool and backend', () => {
    const text = renderMetrics(
      liveRunFamilies([
        { tenant: 'b', outcome: 'succeeded', backend: 'cpu', warm: true, startLatencyMs: 20, flops: 4e9, seconds: 2 },
        { tenant: 'a', outcome: 'succeeded', backend: 'cpu', warm: false, startLatencyMs: 800, flops: 1e9, seconds: 1 },
        { tenant: 'a', outcome: 'timed-out', backend: 'command', warm: false, startLatencyMs: -1, flops: 0, seconds: 0 },
      ]),
    );
    expect(text).toContain('gpulab_live_attempts_total{tenant="a",outcome="succeeded"} 1');
    expect(text).toContain('gpulab_live_attempts_total{tenant="a",outcome="timed-out"} 1');
    // cpu: 4e9 + 1e9 = 5e9 FLOPs over 2 + 1 = 3 s.
    expect(text).toContain('gpulab_live_flops_total{backend="cpu"} 5000000000');
    expect(text).toContain('gpulab_live_compute_seconds_total{backend="cpu"} 3');
    // Warm 0.02 s falls in the 0.025 bucket; cold 0.8 s first in the 1 s bucket; -1 (never started) is not observed.
    expect(text).toContain('gpulab_live_start_latency_seconds_bucket{pool="warm",le="0.025"} 1');
    expect(text).toContain('gpulab_live_start_latency_seconds_bucket{pool="cold",le="0.5"} 0');
    expect(text).toContain('gpulab_live_start_latency_seconds_bucket{pool="cold",le="1"} 1');
    expect(text).toContain('gpulab_live_start_latency_seconds_count{pool="cold"} 1');
  });
});

describe('structured JSON logs', () => {
  const at = new Date('2026-01-02T03:04:05.000Z');
  it('writes one JSON object per line with bound and per-line fields, below-level lines dropped', () => {
    const lines: string[] = [];
    const log = new JsonLogger({ write: (l) => lines.push(l), now: () => at, level: 'info' }).child({ run: 'r1' });
    log.child({ job: 'j1' }).info('started', { backend: 'cpu' });
    log.debug('noise');
    log.error('failed', { err: new Error('boom'), big: 2n });
    expect(lines).toEqual([
      '{"ts":"2026-01-02T03:04:05.000Z","level":"info","msg":"started","run":"r1","job":"j1","backend":"cpu"}\n',
      '{"ts":"2026-01-02T03:04:05.000Z","level":"error","msg":"failed","run":"r1","err":{"name":"Error","message":"boom"},"big":"2"}\n',
    ]);
  });
  it('refuses fields that would overwrite the envelope', () => {
    const log = new JsonLogger({ write: () => {} });
    expect(() => log.info('x', { level: 'error' })).toThrow("log field 'level' is reserved");
    expect(() => log.child({ ts: 1 })).toThrow("log field 'ts' is reserved");
  });
});
