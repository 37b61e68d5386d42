import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario, type ScenarioSummary } from '../../src/scenario/run.ts';
import { buildSite } from '../../viz/server/build-site.ts';
import { serveStatic } from '../../viz/server/static-server.ts';
import { CHROMIUM, HAVE_CHROMIUM, LAUNCH } from './open-viewer.ts';

/**
 * End to end: a scenario run with `--gzip` (events.jsonl.gz only), its directory served live under
 * /data/ beside a built viewer (as `npm run viz` serves it), opened in headless Chromium: the page
 * lists the runs and folds every record of each log, which the server answers decompressed.
 */

const TITLE = HAVE_CHROMIUM ? 'viewer in headless Chromium, gzipped logs' : `viewer in headless Chromium, gzipped logs — SKIPPED: ${CHROMIUM} not found`;
const FIXTURE = 'test/fixtures/viz-small.yaml';

describe.skipIf(!HAVE_CHROMIUM)(TITLE, () => {
  let tmp = '';
  let out = '';
  let summary: ScenarioSummary;
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url = '';

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-gzip-'));
    out = join(tmp, 'out');
    summary = await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out, gzip: true, jobs: 1 });
    const site = join(tmp, 'site');
    await buildSite(out, site, { quiet: true });
    ({ server, url } = await serveStatic(site, 0, { data: out }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('draws each run from its gzipped log, every record folded', async () => {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // `/data/` is the output directory itself, served live (serveStatic's `data`), not the site's plain copy.
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
    await page.waitForFunction(() => (window.gpulab as { state(): { ended: boolean[] } }).state().ended.every(Boolean), undefined, { timeout: 20_000 });
    const s = await page.evaluate(() => (window.gpulab as { state(): { runs: string[]; records: number[]; jobs: number } }).state());
    expect(s.runs).toEqual(summary.runs.map((r) => r.run));
    const lines = summary.runs.map((r) => gunzipSync(readFileSync(join(out, r.run, 'events.jsonl.gz'))).toString('utf8').trim().split('\n').length);
    expect(s.records).toEqual(lines);
    expect(s.jobs).toBe(80);
    expect(errors).toEqual([]);
  }, 60_000);
});
