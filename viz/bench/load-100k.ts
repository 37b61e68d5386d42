import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseArgs } from 'node:util';
import { benchSites, measureRounds } from './sites.ts';

/**
 * Measures the viewer on a 100,000-job run in headless Chromium: load (fetch + fold of
 * events.jsonl), first frame, the page thread's longest block while loading, frames while
 * zooming and panning, and the redraw after a window resize. Prints figures; asserts nothing.
 *
 * Usage: npx tsx viz/bench/load-100k.ts [output dir] [--baseline DIR] [--rounds N]
 * (default out/viz-100k, simulated from test/fixtures/viz-100k.yaml when missing). `--baseline`:
 * a directory holding an older `viz/` and `src/` (e.g. `git archive <commit> viz src | tar -x -C
 * DIR` with node_modules linked in): its viewer is built and measured in the same run, the two
 * alternating, so that a loaded machine affects both alike. Writes test-output/viz-100k.png.
 */

const args = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' }, rounds: { type: 'string', default: '1' } } });
const FIXTURE = 'test/fixtures/viz-100k.yaml';
const outDir = resolve(args.positionals[0] ?? 'out/viz-100k');
if (!existsSync(join(outDir, 'summary.json'))) {
  process.stderr.write(`simulating ${FIXTURE} into ${outDir} …\n`);
  const { loadScenario } = await import('../../src/scenario/load.ts');
  const { runScenario } = await import('../../src/scenario/run.ts');
  await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out: outDir });
}
const { sites, tmp } = await benchSites(outDir, args.values.baseline);

type Timing = { loadingMax?: Record<string, number>; dataAt: number; firstFrameAt: number; firstFrameRecords: number; fetchParseMs: number; fullFrameAt: number; foldMs: number; firstRenderMs: number; fullRenderMs: number; lastRenderMs: number; parts: Record<string, number> };
type S = { applyMs: number[][]; applyAt?: number[][]; jobs: number; records: number[]; stats: { bars: number; painted: number; merged: number; ms: number; lanes: number }; timing: Timing };

async function measure(browser: Browser, url: string, shot: boolean): Promise<string[]> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  // How long the page's thread is blocked while loading: every long task (> 50 ms) the browser
  // reports, and a 50 ms timer's worst lateness as a cross-check.
  await page.addInitScript(() => {
    const w = window as unknown as { __stall: number; __long: number[][] };
    w.__stall = 0;
    w.__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__long.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: true });
    let last = performance.now();
    const id = setInterval(() => {
      const now = performance.now();
      w.__stall = Math.max(w.__stall, now - last - 50);
      last = now;
      if (document.body?.dataset.ready === '1') clearInterval(id);
    }, 50);
  });
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 300_000 });
  const ready = performance.now() - t0;
  const state = () => page.evaluate(() => (window.gpulab as { state(): S }).state());
  const s0 = await state();
  const { stall, long } = await page.evaluate(() => {
    const w = window as unknown as { __stall: number; __long: number[][] };
    return { stall: w.__stall, long: w.__long.slice() };
  });
  // Long tasks from the first byte of the log to the complete frame: the load's own.
  const during = long.filter(([at]) => at >= s0.timing.dataAt - 1 && at <= s0.timing.fullFrameAt + 1);
  const longest = during.reduce((a, [, ms]) => Math.max(a, ms), 0);
  await page.locator('#gantt-view').scrollIntoViewIfNeeded();
  const box = (await page.locator('#gantt').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 20);
  const frames: number[] = [];
  for (let k = 0; k < 12; k++) {
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(60);
    frames.push((await state()).timing.lastRenderMs);
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
  if (shot) {
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/viz-100k.png', fullPage: false });
  }
  await page.mouse.move(0, 0);
  const resizes = [await resize(page, 1000), await resize(page, 1400)];
  await page.close();
  const sorted = [...frames].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0);
  const apply = s0.applyMs[0];
  return [
    `  ${s0.jobs.toLocaleString('en')} jobs; page load to complete frame: ${f(ready)} ms`,
    `  first bytes of the log at ${f(s0.timing.dataAt)} ms (page time); first frame at ${f(s0.timing.firstFrameAt)} ms = ${f(s0.timing.firstFrameAt - s0.timing.dataAt)} ms after data arrived (from ${s0.timing.firstFrameRecords.toLocaleString('en')} of ${s0.records[0].toLocaleString('en')} records; frame ${f(s0.timing.firstRenderMs)} ms)`,
    `  log read and folded in the worker at ${f(s0.timing.fetchParseMs)} ms (${f(s0.timing.fetchParseMs - s0.timing.dataAt)} ms after data arrived; folding ${f(s0.timing.foldMs)} ms of it); complete frame at ${f(s0.timing.fullFrameAt)} ms (frame ${f(s0.timing.fullRenderMs)} ms)`,
    `  page thread while loading: longest task ${f(longest)} ms (${during.length} tasks over 50 ms, ${f(during.reduce((a, [, ms]) => a + ms, 0))} ms in all); a 50 ms timer's worst lateness ${f(stall)} ms`,
    `  longest tasks [page time, ms]: ${JSON.stringify([...during].sort((a, b) => b[1] - a[1]).slice(0, 5))}; longest of each kind of page work while loading (ms): ${JSON.stringify({ apply: Math.max(0, ...apply), ...(s0.timing.loadingMax ?? {}) })}`,
    `  page time applying the worker's ${apply.length} deltas: max ${f(Math.max(0, ...apply))} ms, sum ${f(apply.reduce((a, b) => a + b, 0))} ms; [at, ms]: ${JSON.stringify(apply.map((ms, k) => [s0.applyAt?.[0]?.[k] ?? null, ms]))}`,
    `  first frame: ${s0.stats.lanes} lanes, ${s0.stats.bars.toLocaleString('en')} bars in view, ${s0.stats.painted.toLocaleString('en')} painted, ${s0.stats.merged.toLocaleString('en')} merged; parts (ms) ${JSON.stringify(s0.timing.parts)}`,
    `  frames while zooming/panning: median ${f(sorted[sorted.length >> 1])} ms, max ${f(sorted[sorted.length - 1])} ms (${frames.length} frames)`,
    `  hover to tooltip (pointer on job ${id}'s bar, tooltip shows ${shown}): ${f(hover)} ms`,
    ...resizes.map((r) => `  window resized to ${r.width} px wide: redrawn ${f(r.doneMs)} ms after the resize; longest task ${f(r.longest)} ms (${r.tasks} over 50 ms); page work (ms): ${JSON.stringify(r.work)}`),
  ];
}

/**
 * Resizes the window to `width` (the full view of the whole run, as after the load) and waits
 * until the redraw it triggers is over: when it ended (the last piece of page work, after the
 * resize's debounce), the longest task in between, and the longest of each kind of page work.
 */
async function resize(page: Page, width: number): Promise<{ width: number; doneMs: number; longest: number; tasks: number; work: Record<string, number> }> {
  const r0 = await page.evaluate(() => performance.now());
  await page.setViewportSize({ width, height: 1000 });
  await page.waitForTimeout(2500);
  type W = { timing: { work?: [string, number, number][] } };
  const { work, long } = await page.evaluate(() => ({ work: (window.gpulab as { state(): W }).state().timing.work, long: (window as unknown as { __long: number[][] }).__long }));
  // An older viewer keeps no record of its page work: then its long tasks say when it ended.
  const after = (work ?? []).filter(([, at]) => at >= r0);
  const byKind: Record<string, number> = {};
  for (const [k, , ms] of after) byKind[k] = Math.max(byKind[k] ?? 0, ms);
  const lt = long.filter(([at]) => at >= r0);
  return {
    width,
    doneMs: [...after, ...lt.map(([at, ms]) => ['', at, ms] as const)].reduce((a, [, at, ms]) => Math.max(a, at + ms - r0), 0),
    longest: lt.reduce((a, [, ms]) => Math.max(a, ms), 0),
    tasks: lt.length,
    work: byKind,
  };
}

process.stdout.write(`viewer on ${outDir}\n`);
await measureRounds(sites, tmp, Math.max(1, Number(args.values.rounds) || 1), measure);
