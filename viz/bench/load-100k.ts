import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { buildSite } from '../server/build-site.ts';
import { serveStatic } from '../server/static-server.ts';

/**
 * Measures the viewer on a 100,000-job run in headless Chromium: load (fetch + fold of
 * events.jsonl), first frame, and frames while zooming and panning. Prints figures; asserts
 * nothing. Usage: npx tsx viz/bench/load-100k.ts [output dir] (default out/viz-100k, simulated
 * from test/fixtures/viz-100k.yaml when missing). Writes test-output/viz-100k.png.
 */

const FIXTURE = 'test/fixtures/viz-100k.yaml';
const outDir = resolve(process.argv[2] ?? 'out/viz-100k');
if (!existsSync(join(outDir, 'summary.json'))) {
  process.stderr.write(`simulating ${FIXTURE} into ${outDir} …\n`);
  await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out: outDir });
}
const site = mkdtempSync(join(tmpdir(), 'gpulab-viz-bench-'));
await buildSite(outDir, site, { quiet: true });
const { server, url } = await serveStatic(site);
const browser = await chromium.launch({
  executablePath: process.env.GPULAB_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  // Measures how long the page's thread is blocked while loading: a timer's worst lateness.
  await page.addInitScript(() => {
    const w = window as unknown as { __gpulabStall: number };
    w.__gpulabStall = 0;
    (w as unknown as { __long: number[][] }).__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) (w as unknown as { __long: number[][] }).__long.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: true });
    let last = performance.now();
    const id = setInterval(() => {
      const now = performance.now();
      w.__gpulabStall = Math.max(w.__gpulabStall, now - last - 50);
      last = now;
      if (document.body?.dataset.ready === '1') clearInterval(id);
    }, 50);
  });
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
  const ready = performance.now() - t0;
  type Timing = { dataAt: number; firstFrameAt: number; firstFrameRecords: number; fetchParseMs: number; fullFrameAt: number; foldMs: number; firstRenderMs: number; fullRenderMs: number; lastRenderMs: number; parts: Record<string, number> };
  type S = { applyMs: number[][]; jobs: number; records: number[]; stats: { bars: number; painted: number; merged: number; ms: number; lanes: number }; timing: Timing; full: [number, number] };
  const state = () => page.evaluate(() => (window.gpulab as { state(): S }).state());
  const s0 = await state();
  // The main thread's longest stall while the worker read and folded: a 50 ms timer's worst lateness.
  const stall = await page.evaluate(() => (window as unknown as { __gpulabStall?: number }).__gpulabStall ?? -1);
  const long = await page.evaluate(() => (window as unknown as { __long: number[][] }).__long.filter((x) => x[0] < 60_000));
  await page.locator('#gantt-view').scrollIntoViewIfNeeded();
  const box = (await page.locator('#gantt').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 20);
  const frames: number[] = [];
  const painted: number[] = [];
  for (let k = 0; k < 12; k++) {
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(60);
    const s = await state();
    frames.push(s.timing.lastRenderMs);
    painted.push(s.stats.painted);
  }
  for (let k = 0; k < 6; k++) {
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 200, box.y + 20, { steps: 4 });
    await page.mouse.up();
    await page.mouse.move(box.x + box.width / 2, box.y + 20);
    await page.waitForTimeout(60);
    frames.push((await state()).timing.lastRenderMs);
  }
  await page.locator('#zoom-reset').click();
  await page.waitForTimeout(300);
  type Hook = { jobAt(i: number): string; barCenter(id: string): { x: number; y: number } | null };
  const id = await page.evaluate(() => (window.gpulab as Hook).jobAt(50_000));
  const p = await page.evaluate((j) => (window.gpulab as Hook).barCenter(j), id);
  await page.mouse.move(p!.x - 40, p!.y);
  const h0 = performance.now();
  await page.mouse.move(p!.x, p!.y);
  await page.waitForFunction(() => !document.getElementById('tooltip')!.hidden, undefined, { timeout: 5000 });
  const hover = performance.now() - h0;
  const shown = await page.locator('#tooltip').getAttribute('data-job');
  mkdirSync('test-output', { recursive: true });
  await page.screenshot({ path: 'test-output/viz-100k.png', fullPage: false });
  const sorted = [...frames].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0);
  process.stdout.write(
    [
      `viewer on ${s0.jobs.toLocaleString('en')} jobs (${outDir})`,
      `  page load to complete frame: ${f(ready)} ms`,
      `  first bytes of the log at ${f(s0.timing.dataAt)} ms (page time); first frame at ${f(s0.timing.firstFrameAt)} ms = ${f(s0.timing.firstFrameAt - s0.timing.dataAt)} ms after data arrived (from ${s0.timing.firstFrameRecords.toLocaleString('en')} of ${s0.records[0].toLocaleString('en')} records; frame ${f(s0.timing.firstRenderMs)} ms)`,
      `  log read and folded in the worker at ${f(s0.timing.fetchParseMs)} ms (${f(s0.timing.fetchParseMs - s0.timing.dataAt)} ms after data arrived; folding ${f(s0.timing.foldMs)} ms of it); complete frame at ${f(s0.timing.fullFrameAt)} ms (frame ${f(s0.timing.fullRenderMs)} ms)`,
      `  page thread while loading: longest stall of a 50 ms timer ${f(stall)} ms; long tasks [start, ms]: ${JSON.stringify(long)}`,
      `  page time appending the worker's deltas (ms each): ${JSON.stringify(s0.applyMs[0])}`,
      `  first frame: ${s0.stats.lanes} lanes, ${s0.stats.bars.toLocaleString('en')} bars in view, ${s0.stats.painted.toLocaleString('en')} painted, ${s0.stats.merged.toLocaleString('en')} merged`,
      `  frames while zooming/panning: median ${f(sorted[sorted.length >> 1])} ms, max ${f(sorted[sorted.length - 1])} ms (${frames.length} frames; painted ${painted[0]} → ${painted[painted.length - 1]} rects)`,
      `  first frame parts (ms): ${JSON.stringify(s0.timing.parts)}`,
      `  hover to tooltip (pointer on job ${id}'s bar, tooltip shows ${shown}): ${f(hover)} ms`,
    ].join('\n') + '\n',
  );
} finally {
  await browser.close();
  server.close();
  rmSync(site, { recursive: true, force: true });
}
