import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPlugin } from '../viz/server/data-plugin.ts';
import { serveStatic } from '../viz/server/static-server.ts';

/** Sends `path` byte for byte (no client-side URL clean-up) and returns status line and body. */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`);
    });
    let text = '';
    s.on('data', (c) => (text += c.toString('utf8')));
    s.on('error', fail);
    s.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      ok({ status: m ? Number(m[1]) : 0, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

const portOf = (s: Server) => (s.address() as AddressInfo).port;

describe('viewer static server (sirv)', () => {
  let dir = '';
  let server: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-vizsrv-'));
    mkdirSync(join(dir, 'data/a/seed-1'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>viewer</title>');
    writeFileSync(join(dir, 'data/a/seed-1/events.jsonl'), '0123456789');
    ({ server } = await serveStatic(dir, 0));
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a malformed percent-escape with 400 and keeps serving', async () => {
    const port = portOf(server);
    expect((await rawGet(port, '/%E0%A4%A')).status).toBe(400);
    expect((await rawGet(port, '/%')).status).toBe(400);
    expect(await rawGet(port, '/data/a/seed-1/events.jsonl')).toEqual({ status: 200, body: '0123456789' });
    expect((await rawGet(port, '/')).body).toContain('<title>viewer</title>');
  });

  it('serves byte ranges of a log that grows while it runs, and nothing outside its root', async () => {
    const port = portOf(server);
    const log = '/data/a/seed-1/events.jsonl';
    expect(await rawGet(port, log, { Range: 'bytes=4-' })).toEqual({ status: 206, body: '456789' });
    expect(await rawGet(port, log, { Range: 'bytes=2-4' })).toEqual({ status: 206, body: '234' });
    // Not one satisfiable `bytes=N-[M]`: ignored, the whole file.
    expect(await rawGet(port, log, { Range: 'bytes=5-2' })).toEqual({ status: 200, body: '0123456789' });
    expect((await rawGet(port, log, { Range: 'bytes=10-' })).status).toBe(416);
    writeFileSync(join(dir, 'data/a/seed-1/events.jsonl'), '0123456789abc');
    expect(await rawGet(port, log, { Range: 'bytes=10-' })).toEqual({ status: 206, body: 'abc' });
    expect((await rawGet(port, '/..%2F..%2Fetc/passwd')).status).toBe(403);
    expect((await rawGet(port, '/data/nope.jsonl')).status).toBe(404);
  });
});

describe('viewer dev-server data endpoint', () => {
  it('answers /data/index.json and files under /data, a malformed escape with 400, and keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-vizdata-'));
    mkdirSync(join(dir, 'b/seed-2'), { recursive: true });
    writeFileSync(join(dir, 'b/seed-2/events.jsonl'), 'abcdef');
    // The plugin's middleware, mounted at /data as Vite's connect stack mounts it (prefix stripped).
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    const fake = { middlewares: { use: (_at: string, h: typeof handler) => (handler = h) } } as unknown as ViteDevServer;
    const hook = dataPlugin(dir).configureServer;
    if (typeof hook !== 'function') throw new Error('dataPlugin: configureServer is not a function');
    await hook.call({} as never, fake);
    const server = createServer((req, res) => {
      if (!req.url?.startsWith('/data/')) return void res.writeHead(404).end();
      req.url = req.url.slice('/data'.length);
      handler!(req, res);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const port = portOf(server);
      expect((await rawGet(port, '/data/%E0%A4%A')).status).toBe(400);
      const index = await rawGet(port, '/data/index.json');
      expect(JSON.parse(index.body).runs.map((r: { run: string }) => r.run)).toEqual(['b/seed-2']);
      expect(await rawGet(port, '/data/b/seed-2/events.jsonl', { Range: 'bytes=3-' })).toEqual({ status: 206, body: 'def' });
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
