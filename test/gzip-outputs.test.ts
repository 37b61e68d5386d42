import { execFile } from 'node:child_process';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { OutFile } from '../src/output/out-file.ts';
import { deriveFromLog } from '../src/output/read-log.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import { buildManifest } from '../viz/server/manifest.ts';
import { serveStatic } from '../viz/server/static-server.ts';
import { buildSite } from '../viz/server/build-site.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'gpulab-gzip-'));

/** The writes of `pieces` to an OutFile (closed when `close`), and the file's bytes. */
function written(dir: string, pieces: readonly Uint8Array[], gzip: boolean, close = true): Buffer {
  const f = new OutFile(join(dir, 'f'), gzip);
  for (const p of pieces) f.write(p);
  if (close) f.close();
  return readFileSync(join(dir, 'f'));
}

describe('OutFile', () => {
  const dir = tmp();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Text-like bytes (repeats, so deflate finds matches) and random bytes, pieces of any size, empty ones included.
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc.tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 3000 })).map(([s, n]) => Buffer.from(s.repeat(n))),
  );

  it('gzipped: one gzip member whose bytes, CRC-32 and length check out, for any writes', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const gz = written(dir, pieces, true);
        expect([...gz.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
        // gunzipSync checks the trailer's CRC-32 and length: a wrong one throws.
        expect(gunzipSync(gz).equals(Buffer.concat(pieces))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('gzipped: the bytes a browser reads, through DecompressionStream', async () => {
    const pieces = [Buffer.from('{"t":0,"ev":"run"}\n'.repeat(5000)), Buffer.alloc(0), Buffer.from('{"t":1,"ev":"end","events":3}\n')];
    const gz = written(dir, pieces, true);
    const text = await new Response(new Blob([new Uint8Array(gz)]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
    expect(text).toBe(Buffer.concat(pieces).toString('utf8'));
  });

  it('gzipped, still being written: every finished write decompresses (a growing log the viewer polls)', () => {
    const pieces = [Buffer.from('a'.repeat(100_000)), Buffer.from('b'.repeat(10))];
    const partial = written(dir, pieces, true, false);
    // No trailer yet: a plain gunzip fails, one that flushes what it has reads both writes.
    expect(() => gunzipSync(partial)).toThrow(/unexpected end/);
    expect(gunzipSync(partial, { finishFlush: constants.Z_SYNC_FLUSH }).toString()).toBe('a'.repeat(100_000) + 'b'.repeat(10));
  });

  it('plain: the bytes as written', () => {
    const pieces = [Buffer.from('x,y\n'), Buffer.alloc(0), Buffer.from('1,2\n')];
    expect(written(dir, pieces, false).toString()).toBe('x,y\n1,2\n');
  });
});

describe('npm run sim --gzip (runScenario gzip)', () => {
  const root = tmp();
  const plain = join(root, 'plain');
  const gz = join(root, 'gz');
  const file = 'scenarios/quickstart.yaml';
  let digests: [string[], string[]] = [[], []];
  beforeAll(async () => {
    const scn = loadScenario(file);
    const small = { ...scn, workload: { ...scn.workload, jobs: 400 } } as typeof scn;
    const a = await runScenario(small, { file, out: plain, jobs: 1 });
    const b = await runScenario(small, { file, out: gz, jobs: 1, gzip: true });
    digests = [a.runs.map((r) => r.digest), b.runs.map((r) => r.digest)];
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes each run file gzipped, the same bytes decompressed and the same digests', () => {
    expect(digests[1]).toEqual(digests[0]);
    const runs = readdirSync(plain).filter((d) => !d.endsWith('.json'));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      const names = readdirSync(join(gz, run, 'seed-1')).sort();
      expect(names).toEqual(['events.jsonl.gz', 'jobs.csv.gz', 'timeline.csv.gz']);
      for (const n of ['events.jsonl', 'jobs.csv', 'timeline.csv']) {
        const want = readFileSync(join(plain, run, 'seed-1', n));
        const got = readFileSync(join(gz, run, 'seed-1', `${n}.gz`));
        expect(gunzipSync(got).equals(want), `${run} ${n}`).toBe(true);
        expect(got.length).toBeLessThan(want.length / 3);
      }
    }
  });

  it('a gzipped log reads back to the same metrics (deriveFromLog)', async () => {
    const run = readdirSync(plain).find((d) => !d.endsWith('.json'))!;
    const a = await deriveFromLog(join(plain, run, 'seed-1', 'events.jsonl'));
    const b = await deriveFromLog(join(gz, run, 'seed-1', 'events.jsonl.gz'));
    expect(b.metrics()).toEqual(a.metrics());
  });

  it('the viewer lists a gzipped log under its plain name, and a built site holds it plain', async () => {
    const m = buildManifest(gz, false);
    expect(m.runs.length).toBe(digests[0].length);
    for (const r of m.runs) {
      expect(r.log).toMatch(/\/seed-1\/events\.jsonl$/);
      expect(r.gzip).toBe(true);
    }
    // Plain logs carry no flag.
    expect(buildManifest(plain, false).runs.every((r) => r.gzip === undefined)).toBe(true);
    const app = join(root, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'index.html'), '<!doctype html>');
    const site = join(root, 'site');
    await buildSite(gz, site, { app, quiet: true });
    const index = JSON.parse(readFileSync(join(site, 'data', 'index.json'), 'utf8')) as typeof m;
    for (const r of index.runs) {
      expect(r.gzip).toBeUndefined();
      expect(readFileSync(join(site, 'data', r.log)).equals(readFileSync(join(plain, r.log)))).toBe(true);
    }
  });
});

describe('the sim CLI', () => {
  const run = promisify(execFile);
  it('--gzip writes .gz run files; with --dry-run it is a usage error', async () => {
    const dir = tmp();
    try {
      await run(process.execPath, ['src/cli/launch.mjs', 'sim', 'scenarios/quickstart.yaml', '--gzip', '--serial', '--out', join(dir, 'out')]);
      expect(readdirSync(join(dir, 'out', 'fifo+best-fit', 'seed-1')).sort()).toEqual(['events.jsonl.gz', 'jobs.csv.gz', 'timeline.csv.gz']);
      const err = await run(process.execPath, ['src/cli/launch.mjs', 'sim', '--gzip', '--dry-run']).catch((e: { code: number; stderr: string }) => e);
      expect(err).toMatchObject({ code: 2 });
      expect((err as { stderr: string }).stderr).toMatch(/--gzip and --dry-run/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** GET `path` (with `headers`) as raw HTTP/1.1; status, headers and the body's bytes. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; head: string; body: Buffer }> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`);
    });
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('error', fail);
    s.on('end', () => {
      const all = Buffer.concat(parts);
      const cut = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, cut).toString('latin1');
      let body = all.subarray(cut + 4);
      // Chunked transfer coding (no Content-Length): the chunks' data joined.
      if (/transfer-encoding: chunked/i.test(head)) {
        const out: Buffer[] = [];
        for (let at = 0; ; ) {
          const eol = body.indexOf('\r\n', at);
          const n = parseInt(body.subarray(at, eol).toString('latin1'), 16);
          if (!(n > 0)) break;
          out.push(body.subarray(eol + 2, eol + 2 + n));
          at = eol + 2 + n + 2;
        }
        body = Buffer.concat(out);
      }
      ok({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    });
  });
}

describe('the viewer server answers a gzipped log decompressed', () => {
  const dir = tmp();
  const text = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `{"t":${i},"ev":"x"}\n`).join(''));
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    mkdirSync(join(dir, 'a/seed-1'), { recursive: true });
    const f = new OutFile(join(dir, 'a/seed-1/events.jsonl.gz'), true);
    for (let i = 0; i < text.length; i += 100_000) f.write(text.subarray(i, i + 100_000));
    f.close();
    // A log still being written: its first write only, no trailer.
    mkdirSync(join(dir, 'b/seed-1'), { recursive: true });
    const g = new OutFile(join(dir, 'b/seed-1/events.jsonl.gz'), true);
    g.write(text.subarray(0, 1000));
    ({ server } = await serveStatic(dir, 0));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('whole (200), from a byte (206), a range (206), past its end (416), HEAD', async () => {
    const url = '/a/seed-1/events.jsonl';
    const whole = await get(port, url);
    expect(whole.status).toBe(200);
    expect(whole.head).toMatch(/content-type: application\/x-ndjson/i);
    expect(whole.body.equals(text)).toBe(true);
    const tail = await get(port, url, { Range: 'bytes=123456-' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(text.subarray(123456))).toBe(true);
    expect(tail.head).toMatch(new RegExp(`content-range: bytes 123456-${text.length - 1}/${text.length}`, 'i'));
    expect(tail.head).toMatch(new RegExp(`content-length: ${text.length - 123456}`, 'i'));
    const mid = await get(port, url, { Range: 'bytes=99990-100019' });
    expect(mid.status).toBe(206);
    expect(mid.body.toString()).toBe(text.subarray(99990, 100020).toString());
    const past = await get(port, url, { Range: `bytes=${text.length}-` });
    expect(past.status).toBe(416);
    expect(past.head).toMatch(new RegExp(`content-range: bytes \\*/${text.length}`, 'i'));
    const head = await get(port, url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('a log still being written: what decompresses so far', async () => {
    const r = await get(port, '/b/seed-1/events.jsonl');
    expect(r.status).toBe(200);
    expect(r.body.equals(text.subarray(0, 1000))).toBe(true);
    // The viewer's next poll asks for what follows what it read.
    const next = await get(port, '/b/seed-1/events.jsonl', { Range: 'bytes=500-' });
    expect(next.status).toBe(206);
    expect(next.body.equals(text.subarray(500, 1000))).toBe(true);
  });

  it('the .gz itself is still there to download, and a missing log is 404', async () => {
    const gz = await get(port, '/a/seed-1/events.jsonl.gz');
    expect(gz.status).toBe(200);
    expect(gunzipSync(gz.body).equals(text)).toBe(true);
    expect((await get(port, '/c/seed-1/events.jsonl')).status).toBe(404);
  });
});
