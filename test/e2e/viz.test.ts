import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario, type ScenarioSummary } from '../../src/scenario/run.ts';
import { buildSite } from '../../viz/server/build-site.ts';
import { serveStatic } from '../../viz/server/static-server.ts';
import { CHROMIUM, HAVE_CHROMIUM, LAUNCH } from './open-viewer.ts';

/**
 * End to end: real small outputs of every kind (simulation runs beside an FGD curve, a static-fill
 * study alone, a directory with nothing the viewer knows, a live run still being written and then
 * renamed into place, a run with node failures), the viewer built once as a static site and
 * copied beside each output's data, served on localhost and driven in Debian's headless Chromium.
 * Asserts what a person sees; screenshots of each view go to test-output/ (git-ignored).
 */

const HAVE = HAVE_CHROMIUM;
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
  mode: string;
  modes: string[];
  kind: string;
  run: string;
  runs: string[];
  jobs: number;
  ended: boolean[];
  records: number[];
  domain: [number, number];
  full: [number, number];
  cursor: number;
  filter: { q: string; hidden: string[]; states: string[]; events: string[] };
  group: string;
  fgdX: [number, number] | null;
  stats: { bars: number; jobsDrawn: number; merged: number; hitBars: number; rejectMarks: number; lossMarks: number; preemptMarks: number };
  heat: { nodes: number; maxStrandPct: number; maxAllocPct: number };
  collapsed: string[];
}

const hook = (p: Page) => p.evaluate(() => (window.gpulab as { state(): HookState }).state());

/** A tiny static-fill study (openb-format node and pod lists written here): 3 policies × 3 seeds. */
function writeStudy(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const nodes = ['sn,cpu_milli,memory_mib,gpu,model'];
  for (let i = 0; i < 24; i++) {
    const g = [2, 4, 8][i % 3];
    nodes.push(`node-${i},${g * 12000},${g * 65536},${g},${i % 2 ? 'V100M32' : 'T4'}`);
  }
  const pods = ['name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time'];
  const shapes = [[1, 250], [1, 500], [1, 700], [1, 1000], [1, 1000], [2, 1000], [1, 300], [0, 0]];
  for (let i = 0; i < 300; i++) {
    const [n, m] = shapes[(i * 7) % shapes.length];
    pods.push(`pod-${i},${[2000, 4000, 8000][i % 3]},${[4096, 8192][i % 2]},${n},${m},,LS,Running,0,100,0`);
  }
  writeFileSync(join(dir, 'nodes.csv'), nodes.join('\n') + '\n');
  writeFileSync(join(dir, 'pods.csv'), pods.join('\n') + '\n');
  const file = join(dir, 'study.yaml');
  writeFileSync(
    file,
    ['name: sf-tiny', 'seeds: [1, 2, 3]', 'cluster: { nodesCsv: nodes.csv, format: openb }', 'workload: { kind: static-fill, format: openb, path: pods.csv, tune: 1.3, workers: 1 }', 'policies:', '  - { queue: fifo, placement: random }', '  - { queue: fifo, placement: best-fit-study, label: best-fit }', '  - { queue: fifo, placement: fgd }', ''].join('\n'),
  );
  return file;
}

describe.skipIf(!HAVE)(TITLE, () => {
  let tmp = '';
  let summary: ScenarioSummary;
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let jobs: CsvJob[];
  let site = '';
  let url = '';
  let out = '';
  const extra: Server[] = [];

  const state = () => hook(page);
  /** The node a job ran on (first attempt's), from the run's jobs.csv. */
  const readNode = (id: string): string => {
    const [head, ...lines] = readFileSync(join(out, summary.runs[0].run, 'jobs.csv'), 'utf8').trim().split('\n');
    const h = head.split(',');
    const row = lines.map((l) => l.split(',')).find((f) => f[h.indexOf('id')] === id);
    return row ? row[h.indexOf('node')].split('|')[0] : '';
  };

  /** Opens an output directory in a fresh page (its own static site, or live data); closes it after `fn`. */
  async function open(dir: string, fn: (p: Page) => Promise<void>, opts: { live?: boolean; hash?: string; ready?: string } = {}): Promise<void> {
    const name = `site-${extra.length}`;
    let u: string;
    if (opts.live) {
      const s = await serveStatic(site, 0, { data: dir });
      extra.push(s.server);
      u = s.url;
    } else {
      await buildSite(dir, join(tmp, name), { quiet: true, app: site });
      const s = await serveStatic(join(tmp, name));
      extra.push(s.server);
      u = s.url;
    }
    const p = await browser!.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1, acceptDownloads: true });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    try {
      await p.goto(u + (opts.hash ?? ''));
      await p.waitForSelector(`body[data-ready="${opts.ready ?? '1'}"]`, { timeout: 20_000 });
      await fn(p);
      expect(errors).toEqual([]);
    } finally {
      await p.close();
    }
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-'));
    out = join(tmp, 'out');
    summary = await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out });
    // Simulation runs with an FGD curve beside them: every mode is available.
    cpSync('test/fixtures/viz-fgd-curve.csv', join(out, 'fgd-curve.csv'));
    site = join(tmp, 'site');
    await buildSite(out, site, { quiet: true });
    const s = await serveStatic(site);
    server = s.server;
    url = s.url;
    jobs = readJobs(join(out, summary.runs[0].run, 'jobs.csv'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
    expect(errors).toEqual([]);
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    for (const x of extra) x.close();
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

  it('compare mode: every run on shared scales, overlaid CDFs, tenant panels, deltas against a baseline', async () => {
    expect((await state()).modes).toEqual(['run', 'compare', 'study']);
    await page.locator('#tabs button[data-mode="compare"]').click();
    await expect.poll(async () => (await state()).mode).toBe('compare');
    const rows = await page.locator('#metrics tr[data-run]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.policy));
    expect(rows).toEqual(summary.runs.map((r) => r.label));
    expect(rows).toEqual(['fifo+first-fit', 'fifo+best-fit']);
    // Four overlaid timelines, each with one line per run; GPU allocated on a fixed 0–100 scale.
    const charts = page.locator('#overlays figure');
    expect(await charts.count()).toBe(4);
    for (let k = 0; k < 4; k++) expect(await charts.nth(k).locator('path.line').count()).toBe(2);
    expect(await charts.nth(0).getAttribute('data-ymax')).toBe('100');
    // Overlaid CDFs of JCT, wait and slowdown: one line per run, over the 80 jobs of each.
    expect(await page.locator('#cdfs figure').evaluateAll((fs) => fs.map((f) => (f as HTMLElement).dataset.chart))).toEqual(['cdf-jct', 'cdf-wait', 'cdf-slowdown']);
    expect(await page.locator('#cdfs figure[data-chart="cdf-jct"] path.line').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-n')))).toEqual(['80', '80']);
    // One panel per tenant (sorted by name), and a Jain column per run.
    expect(await page.locator('#tenants figure').evaluateAll((fs) => fs.map((f) => (f as HTMLElement).dataset.tenant))).toEqual(['nlp', 'research', 'vision']);
    expect(await page.locator('.tenant-table tbody tr').count()).toBe(2);
    // Deltas against the baseline (the first run): the other row carries them.
    expect(await page.locator('#metrics tr.baseline').getAttribute('data-policy')).toBe('fifo+first-fit');
    expect(await page.locator('#metrics tr[data-policy="fifo+best-fit"] .delta').count()).toBeGreaterThan(5);
    expect(await page.locator('#metrics tr[data-policy="fifo+first-fit"] .delta').count()).toBe(0);
    // Every job finished in both runs: the JCT columns are compared, none excluded.
    expect(await page.locator('#metrics td.excluded').count()).toBe(0);
    await page.locator('#baseline').selectOption('fifo+best-fit/seed-7');
    await expect.poll(() => page.locator('#metrics tr.baseline').getAttribute('data-policy')).toBe('fifo+best-fit');
    await page.locator('#comparison-view').screenshot({ path: join(SHOTS, 'viz-compare.png') });
    // The table's CSV export downloads one row per run.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-export="metrics-csv"]').click()]);
    expect(dl.suggestedFilename()).toBe('viz-small-metrics.csv');
    const csv = readFileSync((await dl.path())!, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^run,policy,seed,jobs,completed,/);
    await page.locator('#tabs button[data-mode="run"]').click();
    await expect.poll(async () => (await state()).mode).toBe('run');
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
    await buildSite(out, join(tmp, 'site-failures'), { quiet: true, app: join(tmp, 'site') });
    const site = await serveStatic(join(tmp, 'site-failures'));
    const p2 = await browser!.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    try {
      await p2.goto(site.url);
      await p2.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      const downs = s.runs[0].metrics.failures!.nodeDowns;
      expect(downs).toBeGreaterThan(5);
      // Every outage is drawn once per lane of its node, so at least once per outage.
      expect(Number(await p2.locator('#gantt').getAttribute('data-outage-bands'))).toBeGreaterThanOrEqual(downs);
      // Jobs stopped by a node going down end in a red mark (requeued, they run again elsewhere).
      expect(s.runs[0].metrics.failures!.jobsHit).toBeGreaterThan(0);
      expect((await hook(p2)).stats.lossMarks).toBeGreaterThan(0);
      await p2.locator('#gantt-view').screenshot({ path: join(SHOTS, 'viz-outages.png') });
    } finally {
      await p2.close();
      site.server.close();
    }
  });

  it('the node heatmap shows allocated and stranded capacity; a shared GPU draws bars as tall as their share', async () => {
    const st = await state();
    // 3 nodes; shared GPUs (250 and 500 milli jobs) leave stranded capacity at some moment.
    expect(st.heat.nodes).toBe(3);
    expect(st.heat.maxAllocPct).toBeGreaterThan(50);
    expect(st.heat.maxStrandPct).toBeGreaterThan(0);
    // A half-GPU job's bar is about half as tall as a whole-GPU job's.
    const h = async (id: string) =>
      page.evaluate((job) => {
        const p = (window.gpulab as { barCenter(id: string): { x: number; y: number } | null }).barCenter(job)!;
        const c = document.getElementById('gantt') as HTMLCanvasElement;
        const r = c.getBoundingClientRect();
        const x = Math.round(p.x - r.left);
        const ctx = c.getContext('2d')!;
        const at = (y: number) => ctx.getImageData(x, y, 1, 1).data.join(',');
        const mid = Math.round(p.y - r.top);
        const col = at(mid);
        let a = mid;
        let b = mid;
        while (a > 0 && at(a - 1) === col) a--;
        while (b < c.height - 1 && at(b + 1) === col) b++;
        return b - a + 1;
      }, id);
    const whole = jobs.find((j) => j.gpus === 1 && j.milli === 1000 && j.end - j.start > 600_000)!;
    const half = jobs.find((j) => j.gpus === 1 && j.milli === 500 && j.end - j.start > 600_000)!;
    const [hw, hh] = [await h(whole.id), await h(half.id)];
    expect(hh).toBeLessThan(hw);
    expect(hh).toBeGreaterThanOrEqual(Math.floor(hw / 2) - 1);
    await page.locator('#heatmap-view').screenshot({ path: join(SHOTS, 'viz-heatmap.png') });
  });

  it('search highlights a job everywhere, tenant and state filters apply, and the URL restores the view', async () => {
    const target = jobs[17];
    await page.locator('#search').fill(target.id);
    await expect.poll(async () => (await state()).filter.q).toBe(target.id);
    await expect.poll(async () => (await state()).stats.hitBars).toBe(Math.max(1, target.gpus));
    expect(await page.locator('#search-count').getAttribute('data-hits')).toBe('1');
    await page.locator('#ev-job').click();
    // The inspector jumps to the job's arrival; its records are highlighted.
    await expect.poll(async () => (await state()).cursor).toBe(Number(readFileSync(join(out, summary.runs[0].run, 'jobs.csv'), 'utf8').split('\n').find((l) => l.startsWith(target.id + ','))!.split(',')[2]));
    await expect.poll(() => page.locator('#events tr.hit').count()).toBeGreaterThan(0);
    const zoomed = await state();
    expect(zoomed.domain[1] - zoomed.domain[0]).toBeLessThan(zoomed.full[1] - zoomed.full[0]);
    // Hide a tenant with the legend: the filter lists it.
    await page.locator('#legend button[data-tenant="research"]').click();
    await expect.poll(async () => (await state()).filter.hidden).toEqual(['research']);
    await page.locator('#gantt-view').screenshot({ path: join(SHOTS, 'viz-search.png') });
    // The URL holds run, range, cursor and filters; a new page at that URL shows the same view.
    const hash = new URL(page.url()).hash;
    expect(hash).toContain(`q=${target.id}`);
    expect(hash).toContain('hide=research');
    expect(hash).toContain('t0=');
    await open(
      join(out),
      async (p) => {
        const s2 = await hook(p);
        expect(s2.run).toBe(zoomed.run);
        expect(s2.filter.q).toBe(target.id);
        expect(s2.filter.hidden).toEqual(['research']);
        expect(s2.domain.map(Math.round)).toEqual(zoomed.domain.map(Math.round));
        expect(s2.stats.hitBars).toBe(Math.max(1, target.gpus));
      },
      { hash },
    );
    await page.locator('#search').fill('');
    await page.locator('#legend button[data-tenant="research"]').click();
    await page.locator('#zoom-reset').click();
  });

  it('the FGD curve beside simulation runs opens as the study view, one panel per pod list', async () => {
    await page.locator('#tabs button[data-mode="study"]').click();
    await expect.poll(async () => (await state()).mode).toBe('study');
    const workloads = [...new Set(readFileSync('test/fixtures/viz-fgd-curve.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]))];
    await expect.poll(() => page.locator('.fgd-panel').count()).toBe(workloads.length);
    expect(await page.locator('.fgd-panel').evaluateAll((ps) => ps.map((p) => (p as HTMLElement).dataset.workload))).toEqual(workloads);
    expect(await page.locator('.fgd-panel figure').count()).toBe(2 * workloads.length);
    await page.locator('#tabs button[data-mode="run"]').click();
  });

  it('a static-fill study alone (no event log) opens as the FGD study: allocation and frag_pct per policy with seed bands, zoom, hover', async () => {
    const file = writeStudy(join(tmp, 'study'));
    const dir = join(tmp, 'out-study');
    await runScenario(loadScenario(file), { file, out: dir });
    // The CLI's summary.json now exists and says what the study is.
    const sj = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(sj.kind).toBe('static-fill');
    expect(sj.results.map((r: { label: string }) => r.label)).toEqual(['random', 'best-fit', 'fgd']);
    await open(dir, async (p) => {
      const s2 = await hook(p);
      expect(s2.kind).toBe('static-fill');
      expect(s2.modes).toEqual(['study']);
      expect(s2.mode).toBe('study');
      for (const chart of ['alloc', 'frag']) {
        const fig = p.locator(`figure[data-chart="${chart}"]`);
        // One line and one seed band per policy, each policy in its own colour.
        expect(await fig.locator('path.line').evaluateAll((ps) => ps.map((x) => x.getAttribute('data-policy')))).toEqual(['random', 'best-fit', 'fgd']);
        expect(await fig.locator('path.band').count()).toBe(3);
        const colours = await fig.locator('path.line').evaluateAll((ps) => ps.map((x) => x.getAttribute('stroke')));
        expect(new Set(colours).size).toBe(3);
        expect(await fig.locator('text.end-label').count()).toBe(3);
      }
      // The per-policy table from summary.json, best marked.
      expect(await p.locator('#fgd-table tr[data-policy]').count()).toBe(3);
      expect(await p.locator('#fgd-table td.best, #fgd-table td.tie').count()).toBeGreaterThan(0);
      // Hover: the tooltip lists every policy at that load.
      const box = (await p.locator('figure[data-chart="frag"] svg').boundingBox())!;
      await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await expect.poll(() => p.locator('#tooltip').getAttribute('data-fgd')).toMatch(/^frag@\d+$/);
      const tip = await p.locator('#tooltip').innerText();
      for (const pol of ['random', 'best-fit', 'fgd']) expect(tip).toContain(pol);
      await p.locator('#study-view').screenshot({ path: join(SHOTS, 'viz-fgd-study.png') });
      // Zoom to the interesting range: the x-axis follows and the URL keeps it.
      await p.locator('#fgd-top').click();
      await expect.poll(() => p.locator('figure[data-chart="frag"] svg').getAttribute('data-x0')).toBe('80');
      const top = Math.max(...readFileSync(join(dir, 'fgd-curve.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[3])));
      expect(await p.locator('figure[data-chart="frag"] svg').getAttribute('data-x1')).toBe(String(top));
      expect(new URL(p.url()).hash).toContain(`fgd=80%2C${top}`);
      await p.locator('#study-view').screenshot({ path: join(SHOTS, 'viz-fgd-study-zoomed.png') });
    });
  });

  it('a directory with nothing the viewer reads says what it holds instead of a dead page', async () => {
    const dir = join(tmp, 'odd');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'not an output\n');
    await open(dir, async (p) => {
      const s2 = await hook(p);
      expect(s2.kind).toBe('empty');
      expect(s2.modes).toEqual([]);
      const about = await p.locator('#about').innerText();
      expect(about).toContain('Nothing to draw here');
      expect(about).toContain('notes.txt');
      expect(about).toContain('events.jsonl');
      await p.screenshot({ path: join(SHOTS, 'viz-empty.png') });
    });
  });

  it('reads the log in the Web Worker: progress reported up to the file size, the run drawn from its deltas', async () => {
    type W = { progress: ({ bytes: number; total: number } | null)[]; deltas: number[]; records: number[] };
    const s = (await page.evaluate(() => (window.gpulab as { state(): unknown }).state())) as W;
    const logs = summary.runs.map((r) => readFileSync(join(out, r.run, 'events.jsonl')));
    // Every byte of every log went through the worker, which said how far it was.
    expect(s.progress.map((p) => p?.bytes)).toEqual(logs.map((b) => b.length));
    expect(s.progress.map((p) => p?.total)).toEqual(logs.map((b) => b.length));
    expect(s.deltas.every((n) => n >= 1)).toBe(true);
    expect(s.records).toEqual(logs.map((b) => b.toString('utf8').split('\n').filter((l) => l.trim() !== '').length));
    // Loaded: the progress bar is gone and the status says how long the load took.
    expect(await page.locator('#load-progress').isHidden()).toBe(true);
    expect(await page.locator('#status').innerText()).toMatch(/loaded in \d/);
    // The page script never parses the log: the fold (and zod) live in the worker's chunk.
    const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    expect(scripts.some((u) => /log-worker-[\w-]+\.js$/.test(u))).toBe(true);
  });

  it("a click on a node's label collapses its rows into one summary row (kept in the URL) and a second click expands it", async () => {
    await page.locator('#zoom-reset').click();
    const canvas = page.locator('#gantt');
    const rows0 = Number(await canvas.getAttribute('data-rows'));
    const first = jobs.find((j) => j.start >= 0)!;
    const box = (await canvas.boundingBox())!;
    // Row 0's label (the rejection row, when there is one, is above it).
    const top = (await page.evaluate(() => (window.gpulab as { state(): { stats: { rejectMarks: number } } }).state().stats.rejectMarks)) > 0;
    const rowH = box.height / (rows0 + (top ? 1 : 0));
    await page.mouse.click(box.x + 20, box.y + (top ? rowH : 0) + rowH / 2);
    await expect.poll(async () => canvas.getAttribute('data-collapsed')).not.toBe('');
    const node = (await canvas.getAttribute('data-collapsed'))!;
    const rows1 = Number(await canvas.getAttribute('data-rows'));
    expect(rows1).toBeLessThan(rows0);
    // Its jobs are still drawn and still answer hover, inside the summary row.
    const onNode = jobs.find((j) => j.start >= 0 && readNode(j.id) === node) ?? first;
    const p = await page.evaluate((id) => (window.gpulab as { barCenter(id: string): { x: number; y: number } | null }).barCenter(id), onNode.id);
    expect(p).not.toBeNull();
    await page.mouse.move(p!.x, p!.y);
    await expect.poll(async () => page.locator('#tooltip').getAttribute('data-job')).toBe(onNode.id);
    await page.locator('#gantt-view').screenshot({ path: join(SHOTS, 'viz-collapsed.png') });
    // The URL holds the collapsed node; a new page at that URL draws it collapsed.
    await expect.poll(() => new URL(page.url()).hash).toContain(`collapse=${encodeURIComponent(node)}`);
    await open(
      out,
      async (p2) => {
        await expect.poll(() => p2.locator('#gantt').getAttribute('data-collapsed')).toBe(node);
        expect(Number(await p2.locator('#gantt').getAttribute('data-rows'))).toBe(rows1);
        expect((await hook(p2)).collapsed).toEqual([node]);
      },
      { hash: new URL(page.url()).hash },
    );
    await page.mouse.click(box.x + 20, box.y + (top ? rowH : 0) + rowH / 2);
    await expect.poll(async () => canvas.getAttribute('data-collapsed')).toBe('');
    expect(Number(await canvas.getAttribute('data-rows'))).toBe(rows0);
    await expect.poll(() => new URL(page.url()).hash).not.toContain('collapse=');
  });

  it('a live run is followed while it is written in its staging directory and across the rename into place', async () => {
    const dir = join(tmp, 'live');
    const staged = join(dir, 'fifo+best-fit', '.seed-1.tmp-4242');
    mkdirSync(staged, { recursive: true });
    const lines = readFileSync(join(out, summary.runs[1].run, 'events.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    const half = Math.floor(lines.length / 2);
    writeFileSync(join(staged, 'events.jsonl'), lines.slice(0, half).join('\n') + '\n');
    await open(
      dir,
      async (p) => {
        const s1 = await hook(p);
        expect(s1.kind).toBe('live');
        expect(s1.runs).toEqual(['fifo+best-fit/seed-1']);
        expect(s1.ended).toEqual([false]);
        expect(s1.records[0]).toBe(half);
        expect(await p.locator('#notices').innerText()).toContain('Live:');
        // The run finishes and is renamed into place: the page reads on from where it was.
        appendFileSync(join(staged, 'events.jsonl'), lines.slice(half).join('\n') + '\n');
        renameSync(staged, join(dir, 'fifo+best-fit', 'seed-1'));
        writeFileSync(join(dir, 'fifo+best-fit', 'seed-1', 'live.json'), '{}\n');
        await expect.poll(async () => (await hook(p)).ended, { timeout: 10_000 }).toEqual([true]);
        const s2 = await hook(p);
        expect(s2.records[0]).toBe(lines.length);
        expect(s2.jobs).toBe(80);
        await p.screenshot({ path: join(SHOTS, 'viz-live.png') });
      },
      { live: true },
    );
  });
});
