import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, REPO_ROOT, resolveTrace, sha256, traceDir, type Manifest } from '../src/trace/resolve.ts';

const body = new TextEncoder().encode('name,cpu_milli\np,1000\n');
const good = sha256(body);
const NAME = 'alibaba-gpu-v2023/openb_pod_list_tiny.csv';

function setup(): { root: string; dir: string; cache: string; manifest: Manifest } {
  const root = mkdtempSync(join(tmpdir(), 'gpulab-resolve-'));
  const dir = join(root, 'traces-dir');
  mkdirSync(dir);
  const manifest: Manifest = { version: 1, traces: { [NAME]: { url: 'https://example.org/tiny.csv', sha256: good, bytes: body.length } } };
  return { root, dir, cache: join(root, 'cache'), manifest };
}

describe('trace resolution: explicit path → trace dir → cache → verified download', () => {
  it('an explicit existing path wins', async () => {
    const s = setup();
    const f = join(s.root, 'mine.csv');
    writeFileSync(f, 'x');
    const r = await resolveTrace(f, { env: { GPULAB_TRACE_DIR: s.dir }, manifest: s.manifest, cacheDir: s.cache, fetcher: () => Promise.reject(new Error('no')) });
    expect(r).toEqual({ path: f, source: 'explicit' });
  });

  it('then the configured trace dir (GPULAB_TRACE_DIR)', async () => {
    const s = setup();
    mkdirSync(join(s.dir, 'alibaba-gpu-v2023'));
    writeFileSync(join(s.dir, NAME), 'x');
    const r = await resolveTrace(NAME, { base: s.root, env: { GPULAB_TRACE_DIR: s.dir }, manifest: s.manifest, cacheDir: s.cache });
    expect(r).toEqual({ path: join(s.dir, NAME), source: 'trace-dir' });
  });

  it('then downloads, verifies the sha256 and caches; the next call hits the cache', async () => {
    const s = setup();
    const urls: string[] = [];
    const fetcher = async (u: string) => {
      urls.push(u);
      return body;
    };
    const opts = { base: s.root, env: { GPULAB_TRACE_DIR: s.dir }, manifest: s.manifest, cacheDir: s.cache, fetcher };
    const r = await resolveTrace(NAME, opts);
    expect(r).toEqual({ path: join(s.cache, NAME), source: 'download' });
    expect(readFileSync(r.path)).toEqual(Buffer.from(body));
    expect(await resolveTrace(NAME, opts)).toEqual({ path: join(s.cache, NAME), source: 'cache' });
    expect(urls).toEqual(['https://example.org/tiny.csv']);
  });

  it('a checksum mismatch is an error and nothing is cached', async () => {
    const s = setup();
    const tampered = new TextEncoder().encode('name,cpu_milli\np,9999\n');
    const err = await resolveTrace(NAME, { base: s.root, env: { GPULAB_TRACE_DIR: s.dir }, manifest: s.manifest, cacheDir: s.cache, fetcher: async () => tampered }).catch(
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`checksum mismatch for https://example.org/tiny.csv: expected sha256 ${good}, got ${sha256(tampered)}`);
    expect(existsSync(join(s.cache, NAME))).toBe(false);
  });

  it('an unknown name names the places it looked', async () => {
    const s = setup();
    await expect(resolveTrace('nope/x.csv', { base: s.root, env: { GPULAB_TRACE_DIR: s.dir }, manifest: s.manifest, cacheDir: s.cache })).rejects.toThrow(
      /not found at .*nope\/x\.csv nor in the trace dir .*traces-dir \(set GPULAB_TRACE_DIR\), and not in the manifest/,
    );
  });

  it('the trace dir defaults to ../shared/traces from the repository root', () => {
    expect(traceDir({}, '/a/repo')).toBe('/a/shared/traces');
    expect(traceDir({ GPULAB_TRACE_DIR: '/t' }, '/a/repo')).toBe('/t');
  });
});

describe('traces/manifest.json', () => {
  const m = loadManifest();
  it('parses, and covers the openb files the study uses', () => {
    expect(m.traces['alibaba-gpu-v2023/openb_node_list_gpu_node.csv'].bytes).toBe(42_353);
    expect(m.traces['alibaba-gpu-v2023/openb_pod_list_default.csv'].bytes).toBe(575_468);
    // 24 pod lists: cpu0/037/050/072/100/200/235/250/300 (9), default, gpushare×5, gpuspec×5, multigpu×4
    expect(Object.keys(m.traces).filter((k) => k.startsWith('alibaba-gpu-v2023/openb_pod_list_'))).toHaveLength(24);
  });

  const dir = traceDir(process.env, REPO_ROOT);
  it.skipIf(!existsSync(dir))(`checksums match the public copies in ${dir} (skipped when absent)`, () => {
    for (const [name, e] of Object.entries(m.traces)) {
      const f = join(dir, name);
      if (!existsSync(f)) continue;
      const b = readFileSync(f);
      expect({ name, bytes: b.length, sha256: sha256(b) }).toEqual({ name, bytes: e.bytes, sha256: e.sha256 });
    }
  });
});
