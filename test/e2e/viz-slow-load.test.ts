import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario, type ScenarioSummary } from '../../src/scenario/run.ts';
import { buildSite } from '../../viz/server/build-site.ts';
import { staticFiles } from '../../viz/server/static-files.ts';
import { CHROMIUM, HAVE_CHROMIUM, LAUNCH } from './open-viewer.ts';

/**
 * End to end: the viewer draws a run while its log is still arriving. A test server trickles the
 * first run's events.jsonl (the first 60% of its lines in pieces 200 ms apart, then nothing
 * until the test lets the rest go), so the page's first frame must come from part of the log.
 * Asserts what is on screen mid-load; the screenshot goes to test-output/viz-partial-load.png.
 */

const HAVE = HAVE_CHROMIUM;
const TITLE = HAVE ? 'viewer in headless Chromium, log served slowly' : `viewer in headless Chromium, log served slowly — SKIPPED: ${CHROMIUM} not found`;
const FIXTURE = 'test/fixtures/viz-small.yaml';

describe.skipIf(!HAVE)(TITLE, () => {
  let tmp = '';
  let summary: ScenarioSummary;
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url = '';
  let log = Buffer.alloc(0);
  /** Bytes of the slow log sent so far, and the gate that holds back the rest. */
  let sent = 0;
  let release: () => void = () => {};
  const held = new Promise<void>((ok) => (release = ok));

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-slow-'));
    const out = join(tmp, 'out');
    summary = await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out });
    const site = join(tmp, 'site');
    await buildSite(out, site, { quiet: true });
    const slowPath = `/data/${summary.runs[0].run}/events.jsonl`;
    log = readFileSync(join(out, summary.runs[0].run, 'events.jsonl'));
    const files = staticFiles(site);
    server = createServer((req, res) => {
      if (decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname) !== slowPath) return files(req, res);
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': String(log.length), 'cache-control': 'no-store' });
      // Cut at line ends: 60% of the lines in 6 pieces, then the rest once released.
      const ends: number[] = [];
      for (let i = log.indexOf(10); i >= 0; i = log.indexOf(10, i + 1)) ends.push(i + 1);
      const cut = ends[Math.floor(ends.length * 0.6)];
      const pieces = Array.from({ length: 6 }, (_, k) => ends[Math.floor((ends.length * 0.6 * (k + 1)) / 6)]);
      void (async () => {
        for (const end of pieces) {
          res.write(log.subarray(sent, end));
          sent = end;
          await new Promise((ok) => setTimeout(ok, 200));
        }
        expect(sent).toBe(cut);
        await held;
        res.end(log.subarray(sent));
        sent = log.length;
      })();
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH });
  });

  afterAll(async () => {
    release();
    await browser?.close();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('draws a partial frame (jobs, progress, status) before the log has arrived, then the whole run', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(url);
      const gantt = page.locator('#gantt');
      await expect.poll(async () => Number(await gantt.getAttribute('data-jobs-drawn')), { timeout: 15_000 }).toBeGreaterThan(0);
      // Mid-load: the server still holds back 40% of the log, and the page says it is loading.
      expect(sent).toBeLessThan(log.length);
      const lines = log.toString('utf8').split('\n').filter((l) => l !== '').length;
      const s = await page.evaluate(() => (window.gpulab as { state(): { jobs: number; records: number[] } }).state());
      expect(s.records[0]).toBeGreaterThan(0);
      expect(s.records[0]).toBeLessThan(lines);
      const drawn = Number(await gantt.getAttribute('data-jobs-drawn'));
      expect(drawn).toBeGreaterThan(0);
      expect(drawn).toBeLessThan(80);
      expect(await page.locator('body').getAttribute('data-ready')).not.toBe('1');
      const bar = page.locator('#load-progress');
      expect(await bar.isVisible()).toBe(true);
      expect(Number(await bar.getAttribute('max'))).toBe(log.length);
      expect(Number(await bar.evaluate((b) => (b as HTMLProgressElement).value))).toBeLessThan(log.length);
      // Progress updates and partial frames both write the status; either way it says how much is read.
      expect(await page.locator('#status').innerText()).toMatch(/^(loading .*\(\d+%\) read and folded|still reading: \d+% of the log)/);
      mkdirSync(resolve('test-output'), { recursive: true });
      await page.screenshot({ path: resolve('test-output', 'viz-partial-load.png') });
      // The rest arrives: the whole run is drawn and the progress bar goes away.
      release();
      await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      await expect.poll(async () => Number(await gantt.getAttribute('data-jobs-drawn'))).toBe(80);
      expect(await bar.isHidden()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
