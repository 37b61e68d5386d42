import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, resolveTrace, sha256, traceDir, type Manifest } from '../src/trace/resolve.ts';

const body = new TextEncoder().encode('name,cpu_milli\np,1000\n');
const NAME = 'alibaba-gpu-v2023/openb_pod_list_tiny.csv';

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'gpulab-resolve-'));
  const dir = join(root, 'trace-dir');
  mkdirSync(dir);
  const manifest: Manifest = { [NAME]: { url: 'https://example.org/tiny.csv', sha256: sha256(body), bytes: body.length } };
  return { root, dir, cacheDir: join(root, 'cache'), manifest, env: { GPULAB_TRACE_DIR: dir } };
}

describe('trace resolution: explicit path → trace dir → verified download into the cache', () => {
  it('an existing path relative to the scenario folder wins', async () => {
    const s = setup();
    writeFileSync(join(s.root, 'mine.csv'), 'x');
    const fetcher = () => Promise.reject(new Error('must not download'));
    expect(await resolveTrace('mine.csv', { base: s.root, env: s.env, manifest: s.manifest, cacheDir: s.cacheDir, fetcher })).toBe(join(s.root, 'mine.csv'));
  });

  it('then the same relative path under GPULAB_TRACE_DIR', async () => {
    const s = setup();
    mkdirSync(join(s.dir, 'alibaba-gpu-v2023'));
    writeFileSync(join(s.dir, NAME), 'x');
    expect(await resolveTrace(NAME, { base: s.root, env: s.env, manifest: s.manifest, cacheDir: s.cacheDir })).toBe(join(s.dir, NAME));
  });

  it('then downloads, checks the sha256 and caches; a second call uses the cache', async () => {
    const s = setup();
    const urls: string[] = [];
    const fetcher = async (u: string) => {
      urls.push(u);
      return body;
    };
    const o = { base: s.root, env: s.env, manifest: s.manifest, cacheDir: s.cacheDir, fetcher };
    const p = await resolveTrace(NAME, o);
    expect(p).toBe(join(s.cacheDir, NAME));
    expect(readFileSync(p)).toEqual(Buffer.from(body));
    expect(await resolveTrace(NAME, o)).toBe(p);
    expect(urls).toEqual(['https://example.org/tiny.csv']);
  });

  it('a checksum mismatch is an error and nothing is kept', async () => {
    const s = setup();
    const tampered = new TextEncoder().encode('name,cpu_milli\np,9999\n');
    await expect(resolveTrace(NAME, { base: s.root, env: s.env, manifest: s.manifest, cacheDir: s.cacheDir, fetcher: async () => tampered })).rejects.toThrow(
      `sha256 ${sha256(tampered)} does not match the manifest's ${sha256(body)}`,
    );
    expect(existsSync(join(s.cacheDir, NAME))).toBe(false);
  });

  it('a name found nowhere says where it looked', async () => {
    const s = setup();
    await expect(resolveTrace('nope/x.csv', { base: s.root, env: s.env, manifest: s.manifest, cacheDir: s.cacheDir })).rejects.toThrow(/not found at .*nope\/x\.csv, nor under the trace directory .*trace-dir/);
  });
});

describe('traces/manifest.json', () => {
  const m = loadManifest();
  it('lists the openb files the study uses (24 pod lists, the GPU node list)', () => {
    expect(m['alibaba-gpu-v2023/openb_node_list_gpu_node.csv'].bytes).toBe(42_353);
    // cpu0/037/050/072/100/200/235/250/300, default, gpushare×5, gpuspec×5, multigpu×4
    expect(Object.keys(m).filter((k) => k.startsWith('alibaba-gpu-v2023/openb_pod_list_'))).toHaveLength(24);
  });
  const dir = traceDir();
  it.skipIf(!existsSync(dir))(`its checksums match the public copies in ${dir} (skipped when absent)`, () => {
    let checked = 0;
    for (const [name, e] of Object.entries(m)) {
      const f = join(dir, name);
      if (!existsSync(f)) continue;
      const b = readFileSync(f);
      expect({ name, bytes: b.length, sha256: sha256(b) }).toEqual({ name, bytes: e.bytes, sha256: e.sha256 });
      checked++;
    }
    expect(checked).toBe(Object.keys(m).length);
  });
});
