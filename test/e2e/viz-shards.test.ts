import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { CHROMIUM, closeViewer, HAVE_CHROMIUM, openViewer } from './open-viewer.ts';
import { hierarchyScenario, smallRun, withHierarchy, type HierarchyFixture } from '../viz-hierarchy-log.ts';

/**
 * End to end: a scheduler hierarchy in the viewer. A real small run (test/fixtures/viz-small.yaml)
 * whose log gets a hierarchy's records (test/viz-hierarchy-log.ts: shards s0 = a100-0 + t4-0 and
 * s1 = a100-1, routes, bounces, steals, s1's scheduler down from 30% to 45% of the run), built
 * as a static site and driven in headless Chromium: shard headers with their node counts, a
 * shard-down band, bounce and steal marks, `shard:s1` search, the routing panel, and collapsing a
 * shard (kept in the URL). Screenshot: test-output/viz-shards.png. Then real hierarchical runs
 * of the same workload (the simulator's master and shards: bounce with a shard failure, and
 * steal): what the viewer shows agrees with their logs. Screenshot: test-output/viz-shards-real.png.
 */

const HAVE = HAVE_CHROMIUM;
const TITLE = HAVE ? 'viewer shards in headless Chromium' : `viewer shards in headless Chromium — SKIPPED: ${CHROMIUM} not found`;

type Pt = { x: number; y: number } | null;
type Head = { id: string; nodes: number; gpus: number; util: number; collapsed: boolean };
type Hook = { barCenter(id: string): Pt; labelCenter(key: string): Pt; state(): { mode: string; run: string; filter: { q: string }; stats: { hitBars: number; shardBands: number }; shards: Head[]; collapsedShards: string[] } };

describe.skipIf(!HAVE)(TITLE, () => {
  let tmp = '';
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url = '';
  let page: Page;
  let fx: HierarchyFixture;
  const errors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-shards-'));
    const out = join(tmp, 'out');
    const run = await smallRun(out);
    fx = withHierarchy(run.lines);
    writeFileSync(run.log, fx.lines.join('\n') + '\n');
    ({ server, browser, page, url } = await openViewer(out, join(tmp, 'site'), errors));
  }, 120_000);

  afterAll(async () => {
    await closeViewer(browser, server);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const state = () => page.evaluate(() => (window.gpulab as Hook).state());
  const labelCenter = (key: string) => page.evaluate((k) => (window.gpulab as Hook).labelCenter(k), key);
  const barCenter = (id: string) => page.evaluate((j) => (window.gpulab as Hook).barCenter(j), id);
  const canvas = () => page.locator('#gantt');

  it('groups the nodes under a header per shard with its node and GPU counts and utilisation; draws the shard-down band and bounce/steal marks', async () => {
    expect(await canvas().getAttribute('data-shard-heads')).toBe('s0:2,s1:1');
    const heads = (await state()).shards;
    expect(heads.map((h) => [h.id, h.nodes, h.gpus, h.collapsed])).toEqual([
      ['s0', 2, 6, false],
      ['s1', 1, 4, false],
    ]);
    for (const h of heads) expect(h.util).toBeGreaterThan(0);
    for (const h of heads) expect(h.util).toBeLessThan(1);
    // s1 was down for a while: a band over its header and over each of a100-1's rows.
    expect(Number(await canvas().getAttribute('data-shard-bands'))).toBeGreaterThanOrEqual(2);
    expect(Number(await canvas().getAttribute('data-bounce-marks'))).toBeGreaterThan(0);
    expect(Number(await canvas().getAttribute('data-steal-marks'))).toBeGreaterThan(0);
    // The band is on screen: a pixel inside it, on s1's header row, is tinted.
    const down = fx.down;
    const head = (await labelCenter('shard:s1'))!;
    const box = (await canvas().boundingBox())!;
    const range = await page.locator('#range').evaluate((e) => [Number((e as HTMLElement).dataset.t0), Number((e as HTMLElement).dataset.t1)]);
    const xMid = 138 + (((down.from + down.to) / 2 - range[0]) / (range[1] - range[0])) * (box.width - 138 - 16);
    const rgb = await page.evaluate(([x, y]) => Array.from((document.getElementById('gantt') as HTMLCanvasElement).getContext('2d')!.getImageData(x, y, 1, 1).data.slice(0, 3)), [Math.round(xMid), Math.round(head.y - box.y)]);
    // Header fill #e3e8f2 under the purple band: red and blue above green.
    expect(rgb[0] > rgb[1] && rgb[2] > rgb[1]).toBe(true);
  });

  it('shard:s1 highlights the jobs in that shard', async () => {
    await page.locator('#search').fill('shard:s1');
    const inS1 = [...fx.shardOf.values()].filter((s) => s === 's1').length;
    await expect.poll(() => page.locator('#search-count').getAttribute('data-hits')).toBe(String(inS1));
    expect((await state()).stats.hitBars).toBeGreaterThan(0);
    await page.locator('#search').fill('');
    await expect.poll(async () => (await state()).filter.q).toBe('');
  });

  it('lists a job’s routing history: a bounced job by search, a stolen job by a click on its bar', async () => {
    const b = fx.bounced[0];
    const own = fx.shardOf.get(b)!;
    const other = own === 's0' ? 's1' : 's0';
    await page.locator('#search').fill(b);
    const panel = page.locator('#job-routing');
    await expect.poll(() => panel.getAttribute('data-job')).toBe(b);
    expect(await panel.isVisible()).toBe(true);
    expect(await panel.getAttribute('data-history')).toBe(`route:${other}:1,bounce:${other}:no-fit,route:${own}:2`);
    expect(await panel.innerText()).toContain(`bounced by ${other}: no-fit`);
    // (the search box applies its text 0.12 s after typing, and clears a picked job then)
    await page.locator('#search').fill('');
    await expect.poll(async () => (await state()).filter.q).toBe('');
    const s = fx.stolen[0];
    const p = (await barCenter(s.job))!;
    await page.mouse.move(p.x, p.y);
    await expect.poll(() => page.locator('#tooltip').getAttribute('data-job')).toBe(s.job);
    expect(await page.locator('#tooltip').innerText()).toContain(`shard ${s.to} · routed 1× · stolen 1×`);
    await page.mouse.click(p.x, p.y);
    await expect.poll(() => panel.getAttribute('data-job')).toBe(s.job);
    expect(await panel.getAttribute('data-history')).toBe(`route:${s.from}:1,steal:${s.from}>${s.to}`);
    expect(await panel.isVisible()).toBe(true);
    mkdirSync(resolve('test-output'), { recursive: true });
    await page.screenshot({ path: resolve('test-output', 'viz-shards.png'), fullPage: true });
  });

  it('a click on a shard header collapses the shard (kept in the URL); a second click expands it', async () => {
    const rows0 = Number(await canvas().getAttribute('data-rows'));
    const head = (await labelCenter('shard:s0'))!;
    await page.mouse.click(head.x, head.y);
    await expect.poll(() => canvas().getAttribute('data-collapsed-shards')).toBe('s0');
    const rows1 = Number(await canvas().getAttribute('data-rows'));
    // s0's rows are gone (a100-0's and t4-0's), its header stays.
    expect(rows1).toBeLessThan(rows0 - 1);
    expect((await state()).shards.map((h) => [h.id, h.collapsed])).toEqual([
      ['s0', true],
      ['s1', false],
    ]);
    await page.locator('#gantt-view').screenshot({ path: resolve('test-output', 'viz-shards-collapsed.png') });
    await expect.poll(() => new URL(page.url()).hash).toContain('shards=s0');
    // A new page at that URL draws s0 collapsed.
    const p2 = await browser!.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    try {
      await p2.goto(url + new URL(page.url()).hash);
      await p2.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      await expect.poll(() => p2.locator('#gantt').getAttribute('data-collapsed-shards')).toBe('s0');
      expect(Number(await p2.locator('#gantt').getAttribute('data-rows'))).toBe(rows1);
    } finally {
      await p2.close();
    }
    const again = (await labelCenter('shard:s0'))!;
    await page.mouse.click(again.x, again.y);
    await expect.poll(() => canvas().getAttribute('data-collapsed-shards')).toBe('');
    expect(Number(await canvas().getAttribute('data-rows'))).toBe(rows0);
    await expect.poll(() => new URL(page.url()).hash).not.toContain('shards=');
    // Shift-click: every shard as the clicked one goes (collapse all, then expand all).
    const s1 = (await labelCenter('shard:s1'))!;
    await page.keyboard.down('Shift');
    await page.mouse.click(s1.x, s1.y);
    await expect.poll(() => canvas().getAttribute('data-collapsed-shards')).toBe('s0,s1');
    expect(Number(await canvas().getAttribute('data-rows'))).toBe(2);
    const s1c = (await labelCenter('shard:s1'))!;
    await page.mouse.click(s1c.x, s1c.y);
    await page.keyboard.up('Shift');
    await expect.poll(() => canvas().getAttribute('data-collapsed-shards')).toBe('');
    expect(Number(await canvas().getAttribute('data-rows'))).toBe(rows0);
    expect(errors).toEqual([]);
  });
});

/** From a log: each job's shard at the end (last route, or steal target) and its routing records as the panel lists them. */
function routingOf(lines: string[]): { shardOf: Map<string, string>; history: Map<string, string[]> } {
  const shardOf = new Map<string, string>();
  const history = new Map<string, string[]>();
  for (const l of lines) {
    const r = JSON.parse(l) as Record<string, string>;
    const step = r.ev === 'route' ? `route:${r.shard}:${r.n}` : r.ev === 'bounce' ? `bounce:${r.shard}:${r.reason}` : r.ev === 'steal' ? `steal:${r.from}>${r.to}` : '';
    if (!step) continue;
    if (r.ev !== 'bounce') shardOf.set(r.job, r.ev === 'route' ? r.shard : r.to);
    history.set(r.job, [...(history.get(r.job) ?? []), step]);
  }
  return { shardOf, history };
}

describe.skipIf(!HAVE)(`${TITLE}: simulated hierarchical runs`, () => {
  let tmp = '';
  let browser: Browser | undefined;
  let server: Server | undefined;
  let page: Page;
  let runs: { run: string; lines: string[]; hierarchy?: Record<string, number> }[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-shards-real-'));
    const file = hierarchyScenario(tmp);
    const out = join(tmp, 'out');
    const summary = await runScenario(loadScenario(file), { file, out });
    const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { runs: { run: string; hierarchy?: Record<string, number> }[] };
    runs = summary.runs.map((r, i) => ({ run: r.run, lines: readFileSync(join(out, r.run, 'events.jsonl'), 'utf8').trim().split('\n'), hierarchy: written.runs[i].hierarchy }));
    ({ server, browser, page } = await openViewer(out, join(tmp, 'site'), errors));
  }, 120_000);

  afterAll(async () => {
    await closeViewer(browser, server);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const state = () => page.evaluate(() => (window.gpulab as Hook).state());

  it('bounce run: shard headers from the run record, the failed shard’s band, bounce marks, and a bounced job’s routing as its log has it', async () => {
    const { run, lines } = runs[0];
    expect((await state()).run).toBe(run);
    const h = (JSON.parse(lines[0]) as { hierarchy: { shards: { id: string; nodes: string[] }[] } }).hierarchy;
    const canvas = page.locator('#gantt');
    await expect.poll(() => canvas.getAttribute('data-shard-heads')).toBe(h.shards.map((s) => `${s.id}:${s.nodes.length}`).join(','));
    expect(Number(await canvas.getAttribute('data-shard-bands'))).toBeGreaterThanOrEqual(1);
    expect(Number(await canvas.getAttribute('data-bounce-marks'))).toBeGreaterThan(0);
    const { shardOf, history } = routingOf(lines);
    const bounced = [...history].find(([, steps]) => steps.some((x) => x.startsWith('bounce:')))!;
    expect(bounced).toBeDefined();
    await page.locator('#search').fill(bounced[0]);
    await expect.poll(() => page.locator('#job-routing').getAttribute('data-job')).toBe(bounced[0]);
    expect(await page.locator('#job-routing').getAttribute('data-history')).toBe(bounced[1].join(','));
    expect(await page.locator('#job-routing').getAttribute('data-shard')).toBe(shardOf.get(bounced[0]));
    const inS0 = [...shardOf.values()].filter((x) => x === 's0').length;
    await page.locator('#search').fill('shard:s0');
    await expect.poll(() => page.locator('#search-count').getAttribute('data-hits')).toBe(String(inS0));
    mkdirSync(resolve('test-output'), { recursive: true });
    await page.screenshot({ path: resolve('test-output', 'viz-shards-real.png'), fullPage: true });
  });

  it('steal run: steal marks, and a stolen job’s routing as its log has it', async () => {
    const { run, lines } = runs[1];
    await page.locator('#search').fill('');
    await page.selectOption('#run-select', { index: 1 });
    await expect.poll(async () => (await state()).run).toBe(run);
    await expect.poll(() => page.locator('#gantt').getAttribute('data-steal-marks')).not.toBe('0');
    expect(Number(await page.locator('#gantt').getAttribute('data-steal-marks'))).toBeGreaterThan(0);
    expect(await page.locator('#gantt').getAttribute('data-shard-bands')).toBe('0');
    const { history } = routingOf(lines);
    const stolen = [...history].find(([, steps]) => steps.some((x) => x.startsWith('steal:')))!;
    await page.locator('#search').fill(stolen[0]);
    await expect.poll(() => page.locator('#job-routing').getAttribute('data-job')).toBe(stolen[0]);
    expect(await page.locator('#job-routing').getAttribute('data-history')).toBe(stolen[1].join(','));
  });

  it('compare mode: shards, bounces, steals, misrouted wait and shard imbalance per hierarchical run from summary.json; the global run shows —', async () => {
    await page.locator('#search').fill('');
    await page.locator('#tabs button[data-mode="compare"]').click();
    await expect.poll(async () => (await state()).mode).toBe('compare');
    const cell = (run: string, col: string) => page.locator(`#metrics tr[data-run="${run}"] td[data-col="${col}"]`).innerText();
    expect(await page.locator('#metrics th[data-col="bounces"]').count()).toBe(1);
    expect(runs.map((r) => r.hierarchy === undefined)).toEqual([false, false, true]);
    for (const r of runs.slice(0, 2)) {
      expect(await cell(r.run, 'hierShards')).toBe('2');
      expect(await cell(r.run, 'bounces')).toBe(String(r.hierarchy!.bounces));
      expect(await cell(r.run, 'steals')).toBe(String(r.hierarchy!.steals));
      expect((await cell(r.run, 'utilMaxOverMean')).slice(0, 5)).toBe(r.hierarchy!.utilMaxOverMean.toFixed(3));
    }
    expect(runs[0].hierarchy!.bounces).toBeGreaterThan(0);
    expect(runs[1].hierarchy!.steals).toBeGreaterThan(0);
    expect(await cell(runs[2].run, 'bounces')).toBe('—');
    await page.locator('#comparison-view').screenshot({ path: resolve('test-output', 'viz-shards-compare.png') });
    expect(errors).toEqual([]);
  });
});

describe.skipIf(!HAVE)(`${TITLE}: a many-node hierarchy's heatmap`, () => {
  let tmp = '';
  let browser: Browser | undefined;
  let server: Server | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-shards-many-'));
    // 601 nodes in 3 shards (by GPU count: 200, 200, 201 nodes): more nodes than the heatmap's 440 rows.
    const file = join(tmp, 'many.yaml');
    writeFileSync(
      file,
      [
        'name: viz-many',
        'seeds: [3]',
        'cluster:',
        '  nodes:',
        '    - { prefix: n-, count: 601, cpu: 64000, memory: 262144, gpus: [{ count: 4, model: A100-80GB }] }',
        'workload:',
        '  kind: synthetic',
        '  jobs: 300',
        '  meanInterarrivalSec: 4',
        '  duration: { dist: exponential, meanSec: 1800 }',
        '  tenants: [{ name: a, share: 1 }]',
        '  demands:',
        '    - { weight: 3, gpus: 1, milli: 1000, cpu: 4000, memory: 16384 }',
        '    - { weight: 1, gpus: 4, milli: 1000, cpu: 16000, memory: 65536 }',
        'policies:',
        '  - { queue: fifo, placement: first-fit, hierarchy: { shards: 3, routing: least-loaded, summaryIntervalSec: 60 } }',
        '',
      ].join('\n'),
    );
    const out = join(tmp, 'out');
    await runScenario(loadScenario(file), { file, out });
    ({ server, browser, page } = await openViewer(out, join(tmp, 'site'), errors));
  }, 120_000);

  afterAll(async () => {
    await closeViewer(browser, server);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('draws bands of 2 nodes within each shard, names the shards in the margin, and a band’s tooltip names its nodes and shard', async () => {
    const heat = page.locator('#heat-alloc');
    await expect.poll(() => heat.getAttribute('data-rows')).not.toBeNull();
    // k = ⌈601 / 440⌉ = 2 nodes a row; shards of 200, 200 and 201 nodes → 100 + 100 + 101 rows.
    expect(await heat.getAttribute('data-nodes')).toBe('601');
    expect(await heat.getAttribute('data-nodes-per-row')).toBe('2');
    expect(await heat.getAttribute('data-rows')).toBe('301');
    expect(await heat.getAttribute('data-shard-labels')).toBe('3');
    await heat.scrollIntoViewIfNeeded();
    const box = (await heat.boundingBox())!;
    // Row 0 (1 px rows): the first band of shard s0; a column in the middle of the run.
    await page.mouse.move(box.x + box.width / 2, box.y + 0.5);
    const tip = page.locator('#tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    const text = await tip.innerText();
    expect(text).toMatch(/^n-0+–n-0+1 \(2 nodes, 8 GPU, shard s0\)/);
    expect(text).toMatch(/allocated \d+\.\d% .*of their GPU capacity/);
    await page.locator('#heatmap-view').screenshot({ path: resolve('test-output', 'viz-shards-heatmap.png') });
    expect(errors).toEqual([]);
  });
});
