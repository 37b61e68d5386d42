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
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
  const ready = performance.now() - t0;
  type S = { jobs: number; stats: { bars: number; painted: number; merged: number; ms: number; lanes: number }; timing: { fetchParseMs: number; firstRenderMs: number; lastRenderMs: number; parts: Record<string, number> }; full: [number, number] };
  const state = () => page.evaluate(() => (window.gpulab as { state(): S }).state());
  const s0 = await state();
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
      `  page load to first frame:   ${f(ready)} ms (fetch + fold of the event log ${f(s0.timing.fetchParseMs)} ms, first frame ${f(s0.timing.firstRenderMs)} ms)`,
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
