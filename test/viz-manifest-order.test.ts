import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../viz/server/manifest.ts';
import { serveStatic } from '../viz/server/static-server.ts';

/** The viewer lists run directories in natural order: numbers in names compare as numbers. */
describe('viewer manifest: run order', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-vizorder-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const log = (path: string) => {
    mkdirSync(join(dir, path), { recursive: true });
    writeFileSync(join(dir, path, 'events.jsonl'), '{"t":0,"ev":"run"}\n');
  };

  it("lists a service's epochs as 1, 2, 3, 10, 11 (not 1, 10, 11, 2, 3), on disk and as served", async () => {
    const state = join(dir, 'state');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'state.sqlite'), '');
    for (const n of [10, 2, 1, 11, 3]) {
      mkdirSync(join(state, 'runs', `epoch-${n}`), { recursive: true });
      writeFileSync(join(state, 'runs', `epoch-${n}`, 'events.jsonl'), '{"t":0,"ev":"run"}\n');
    }
    const want = ['runs/epoch-1', 'runs/epoch-2', 'runs/epoch-3', 'runs/epoch-10', 'runs/epoch-11'];
    const m = buildManifest(state, true);
    expect(m.runs.map((r) => r.run)).toEqual(want);
    expect(m.runs.every((r) => r.liveRun)).toBe(true);
    // The same order through the server the viewer reads (index.json rebuilt per request).
    let server: Server | undefined;
    try {
      const s = await serveStatic(dir, 0, { data: state });
      server = s.server;
      const served = (await (await fetch(`${s.url}data/index.json`)).json()) as { runs: { run: string }[] };
      expect(served.runs.map((r) => r.run)).toEqual(want);
    } finally {
      server?.close();
    }
  });

  it('orders seeds numerically when no summary.json gives the order, and keeps summary.json order when it does', () => {
    for (const p of ['sim/fifo/seed-10', 'sim/fifo/seed-9', 'sim/fifo/seed-100', 'sim/drf/seed-2']) log(p);
    expect(buildManifest(join(dir, 'sim'), false).runs.map((r) => r.run)).toEqual(['drf/seed-2', 'fifo/seed-9', 'fifo/seed-10', 'fifo/seed-100']);
    writeFileSync(join(dir, 'sim', 'summary.json'), JSON.stringify({ scenario: 's', runs: [{ run: 'fifo/seed-100' }, { run: 'drf/seed-2' }] }));
    // Runs summary.json names come first, in its order; the rest follow in natural order.
    expect(buildManifest(join(dir, 'sim'), false).runs.map((r) => r.run)).toEqual(['fifo/seed-100', 'drf/seed-2', 'fifo/seed-9', 'fifo/seed-10']);
  });
});
