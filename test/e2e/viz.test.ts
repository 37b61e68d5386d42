import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario, type ScenarioSummary } from '../../src/scenario/run.ts';
import { buildSite } from '../../viz/server/build-site.ts';
import { serveStatic } from '../../viz/server/static-server.ts';

/**
 * End to end: a real small simulation, the viewer built as a static site with that run's
 * outputs, served on localhost and driven in Debian's headless Chromium. Asserts what a person
 * sees; screenshots of each view go to test-output/ (git-ignored).
 */

const CHROMIUM = process.env.GPULAB_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const TITLE = HAVE ? 'viewer in headless Chromium' : `viewer in headless Chromium — SKIPPED: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)`;
const SHOTS = resolve('test-output');
const FIXTURE = 'test/fixtures/viz-small.yaml';

interface CsvJob {
  id: string;
  tenant: string;
  start: number;
  end: number;
  state: string;
  gpus: number;
  milli: number;
}

function readJobs(file: string): CsvJob[] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const h = head.split(',');
  return lines.map((l) => {
    const f = l.split(',');
    const v = (k: string) => f[h.indexOf(k)];
    return {
      id: v('id'),
      tenant: v('tenant'),
      start: Number(v('start_ms')),
      end: Number(v('end_ms')),
      state: v('state'),
      // as requested (the granted columns are empty for a job that never started)
      gpus: Number(v('req_gpus')),
      milli: Number(v('req_milli')),
    };
  });
}

interface HookState {
  run: string;
  jobs: number;
  domain: [number, number];
  full: [number, number];
  stats: { bars: number; jobsDrawn: number; merged: number };
}

describe.skipIf(!HAVE)(TITLE, () => {
  let tmp = '';
  let summary: ScenarioSummary;
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let jobs: CsvJob[];

  const state = () => page.evaluate(() => (window.gpulab as { state(): HookState }).state());

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-'));
    const out = join(tmp, 'out');
    summary = await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out });
    cpSync('test/fixtures/viz-fgd-curve.csv', join(out, 'fgd-curve.csv'));
    await buildSite(out, join(tmp, 'site'), { quiet: true });
    const s = await serveStatic(join(tmp, 'site'));
    server = s.server;
    jobs = readJobs(join(out, summary.runs[0].run, 'jobs.csv'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
    expect(errors).toEqual([]);
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('draws one bar per job of the shown run, one per GPU it holds', async () => {
    const canvas = page.locator('#gantt');
    // 80 jobs in the fixture, every one started (jobs.csv has start_ms >= 0 for all of them).
    expect(jobs.length).toBe(80);
    expect(jobs.every((j) => j.start >= 0)).toBe(true);
    expect(Number(await canvas.getAttribute('data-jobs-drawn'))).toBe(jobs.length);
    // A job holding g GPUs has g bars, a CPU-only job one; no preemption, so one attempt each.
    const bars = jobs.reduce((a, j) => a + Math.max(1, j.gpus), 0);
    expect(Number(await canvas.getAttribute('data-bars'))).toBe(bars);
    expect((await state()).run).toBe(summary.runs[0].run);
  });

  it('hovering a bar shows that job, and the pixel under it has its tenant colour', async () => {
    const longest = (pred: (j: CsvJob) => boolean) => jobs.filter(pred).sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    const picks = [longest((j) => j.gpus === 1 && j.milli === 1000), longest((j) => j.milli === 500), longest((j) => j.gpus === 0), longest((j) => j.gpus === 2)];
    for (const job of picks) {
      const p = await page.evaluate((id) => (window.gpulab as { barCenter(id: string): { x: number; y: number } | null }).barCenter(id), job.id);
      expect(p, job.id).not.toBeNull();
      const pixel = await page.evaluate(({ x, y }) => {
        const c = document.getElementById('gantt') as HTMLCanvasElement;
        const r = c.getBoundingClientRect();
        const d = c.getContext('2d')!.getImageData(Math.round(x - r.left), Math.round(y - r.top), 1, 1).data;
        return `#${[d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
      }, p!);
      const color = await page.evaluate((t) => (window.gpulab as { tenantColor(t: string): string }).tenantColor(t), job.tenant);
      expect(pixel, `${job.id} (${job.tenant})`).toBe(color);
      await page.mouse.move(p!.x, p!.y);
      const tip = page.locator('#tooltip');
      await expect.poll(() => tip.getAttribute('data-job')).toBe(job.id);
      expect(await tip.isVisible()).toBe(true);
      const text = await tip.innerText();
      expect(text).toContain(job.id);
      expect(text).toContain(job.tenant);
      expect(text).toContain(`state ${job.state}`);
    }
    await page.locator('#gantt-view').screenshot({ path: join(SHOTS, 'viz-gantt.png') });
    await page.mouse.move(5, 5);
  });

  it('the comparison table lists every policy of the scenario', async () => {
    const rows = await page.locator('#metrics tr[data-run]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.policy));
    expect(rows).toEqual(summary.runs.map((r) => r.label));
    expect(rows).toEqual(['fifo+first-fit', 'fifo+best-fit']);
    // Each run's JCT CDF is drawn, and the FGD curve file gives one panel per workload.
    expect(await page.locator('#cdfs figure').count()).toBe(2);
    expect(await page.locator('#fgd figure').count()).toBe(2);
    await page.locator('#comparison-view').screenshot({ path: join(SHOTS, 'viz-comparison.png') });
  });

  it('zooming in with the wheel narrows the visible range on the schedule and the timelines', async () => {
    const before = await state();
    expect(before.domain).toEqual(before.full);
    await page.locator('#gantt-view').scrollIntoViewIfNeeded();
    const box = (await page.locator('#gantt').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + 10);
    await page.mouse.wheel(0, -600);
    await expect.poll(async () => (await state()).domain[1] - (await state()).domain[0]).toBeLessThan(before.full[1] - before.full[0]);
    const after = await state();
    const t0 = Number(await page.locator('#range').getAttribute('data-t0'));
    const t1 = Number(await page.locator('#range').getAttribute('data-t1'));
    expect(t1 - t0).toBeLessThan((before.full[1] - before.full[0]) / 2);
    expect([t0, t1]).toEqual(after.domain.map(Math.round));
    // Fewer jobs fit in a narrower window.
    expect(after.stats.jobsDrawn).toBeLessThan(jobs.length);
    await page.locator('#timeline-view').screenshot({ path: join(SHOTS, 'viz-timelines-zoomed.png') });
    await page.locator('#zoom-reset').click();
    await expect.poll(async () => (await state()).domain).toEqual(before.full);
  });

  it('a click on the schedule selects a moment; the inspector steps through the records there', async () => {
    await page.locator('#gantt-view').scrollIntoViewIfNeeded();
    const box = (await page.locator('#gantt').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.4, box.y + 5);
    const where = page.locator('#ev-where');
    await expect.poll(() => where.getAttribute('data-index')).not.toBe('0');
    const i = Number(await where.getAttribute('data-index'));
    await page.locator('#ev-next').click();
    await expect.poll(() => where.getAttribute('data-index')).toBe(String(i + 1));
    expect(await page.locator('#events tr.cur').count()).toBe(1);
    expect(await page.locator('#decisions div[data-run]').count()).toBe(summary.runs.length);
    await page.locator('#inspector-view').screenshot({ path: join(SHOTS, 'viz-inspector.png') });
    await page.screenshot({ path: join(SHOTS, 'viz-page.png'), fullPage: true });
  });

  it('a run with node failures shows each outage as a band over the node lanes', async () => {
    const file = 'scenarios/node-failures.yaml';
    const scn = loadScenario(file);
    const out = join(tmp, 'out-failures');
    const s = await runScenario({ ...scn, seeds: [2], policies: scn.policies.slice(0, 1) }, { file, out });
    await buildSite(out, join(tmp, 'site-failures'), { quiet: true });
    const site = await serveStatic(join(tmp, 'site-failures'));
    const p2 = await browser!.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    try {
      await p2.goto(site.url);
      await p2.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      const downs = s.runs[0].metrics.failures!.nodeDowns;
      expect(downs).toBeGreaterThan(5);
      // Every outage is drawn once per lane of its node, so at least once per outage.
      expect(Number(await p2.locator('#gantt').getAttribute('data-outage-bands'))).toBeGreaterThanOrEqual(downs);
      await p2.locator('#gantt-view').screenshot({ path: join(SHOTS, 'viz-outages.png') });
    } finally {
      await p2.close();
      site.server.close();
    }
  });
});
