import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { parseArgs } from 'node:util';
import { benchSites, measureRounds } from './sites.ts';

/**
 * Measures how long the viewer takes to load a many-node hierarchy log in headless Chromium:
 * scenarios/hierarchy.yaml's cluster (32 racks, 19,424 nodes, 100,096 GPUs) with its 32-shard
 * least-loaded policy and 40,000 jobs, or fewer racks (`--racks N`: the first N racks, same jobs)
 * to see how the load grows with the node count. Prints the page load to the complete frame, the
 * heatmap's rows and height, the worker's fold, the deltas posted and the page time applying
 * them; asserts nothing.
 *
 * Usage: npx tsx viz/bench/load-hierarchy.ts [--racks N] [--jobs N] [--out DIR] [--baseline DIR] [--rounds N]
 * (the log is simulated into --out, default out/viz-hierarchy-<racks>r-<jobs>, when missing).
 * `--baseline`: a directory holding an older `viz/` and `src/` (e.g. `git archive <commit> viz src
 * | tar -x -C DIR` with node_modules linked in): its viewer loads the same log in the same run,
 * the two alternating, so that a loaded machine affects both alike.
 */

const args = parseArgs({
  options: {
    racks: { type: 'string', default: '32' },
    jobs: { type: 'string', default: '40000' },
    out: { type: 'string' },
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const racks = Number(args.values.racks);
const jobs = Number(args.values.jobs);
if (!(Number.isInteger(racks) && racks >= 1 && racks <= 32)) throw new Error(`--racks: an integer 1..32, not ${args.values.racks}`);
if (!(Number.isInteger(jobs) && jobs >= 1)) throw new Error(`--jobs: a positive integer, not ${args.values.jobs}`);
const outDir = resolve(args.values.out ?? `out/viz-hierarchy-${racks}r-${jobs}`);
const SCENARIO = 'scenarios/hierarchy.yaml';
const POLICY = 's32-least-loaded';

if (!existsSync(join(outDir, 'summary.json'))) {
  process.stderr.write(`simulating ${SCENARIO} (${racks} racks, ${jobs} jobs, ${POLICY}) into ${outDir} …\n`);
  const { loadScenario } = await import('../../src/scenario/load.ts');
  const { runScenario } = await import('../../src/scenario/run.ts');
  const scn = loadScenario(SCENARIO);
  const keep = new Set(Array.from({ length: racks }, (_, r) => `r${String(r).padStart(2, '0')}`));
  if (!('nodes' in scn.cluster)) throw new Error(`${SCENARIO}: expected a cluster of node lists`);
  scn.cluster.nodes = scn.cluster.nodes.filter((n) => keep.has(String(n.labels?.rack)));
  scn.policies = scn.policies.filter((p) => p.label === POLICY);
  if (scn.workload.kind !== 'synthetic') throw new Error(`${SCENARIO}: expected a synthetic workload`);
  scn.workload.jobs = jobs;
  await runScenario(scn, { file: SCENARIO, out: outDir });
}

const { sites, tmp } = await benchSites(outDir, args.values.baseline);

type S = {
  jobs: number;
  records: number[];
  applyMs: number[][];
  timing: { loadingMax?: Record<string, number>; work?: [string, number, number][]; dataAt: number; firstFrameAt: number; fetchParseMs: number; fullFrameAt: number; foldMs: number; fullRenderMs: number };
};

async function measure(browser: Browser, url: string): Promise<string[]> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  await page.addInitScript(() => {
    const w = window as unknown as { __long: number[][] };
    w.__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__long.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: true });
  });
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 600_000 });
  const ready = performance.now() - t0;
  const s = await page.evaluate(() => (window.gpulab as { state(): S }).state());
  const long = await page.evaluate(() => (window as unknown as { __long: number[][] }).__long);
  // The heatmap as drawn: its rows (a row per node, or bands of nodes) and its canvas' CSS height.
  const heat = await page.evaluate(() => {
    const c = document.getElementById('heat-alloc') as HTMLCanvasElement;
    return { rows: c.dataset.rows ?? String(c.dataset.nodes), nodes: c.dataset.nodes, cssH: c.getBoundingClientRect().height };
  });
  await page.close();
  const T = s.timing;
  const during = long.filter(([at]) => at >= T.dataAt - 1 && at <= T.fullFrameAt + 1);
  const apply = s.applyMs[0] ?? [];
  // Page work until the complete frame was drawn (and the panels it scheduled), summed per kind.
  const work: Record<string, number> = {};
  for (const [k, at, ms] of T.work ?? []) if (at <= T.fullFrameAt + 1000) work[k] = (work[k] ?? 0) + ms;
  const f = (x: number) => x.toFixed(0);
  return [
    `  ${s.jobs.toLocaleString('en')} jobs, ${s.records[0].toLocaleString('en')} records; page load to complete frame: ${f(ready)} ms`,
    `  log read and folded in the worker ${f(T.fetchParseMs - T.dataAt)} ms after its first bytes (folding ${f(T.foldMs)} ms of it); first frame ${f(T.firstFrameAt - T.dataAt)} ms after them; complete frame ${f(T.fullFrameAt - T.dataAt)} ms after them (frame ${f(T.fullRenderMs)} ms)`,
    `  heatmap: ${heat.rows} rows for ${heat.nodes} nodes, canvas ${f(heat.cssH)} px tall`,
    `  page thread: ${apply.length} deltas applied in ${f(apply.reduce((a, b) => a + b, 0))} ms (max ${f(Math.max(0, ...apply))} ms); ${during.length} tasks over 50 ms while loading, ${f(during.reduce((a, [, ms]) => a + ms, 0))} ms in all, longest ${f(during.reduce((a, [, ms]) => Math.max(a, ms), 0))} ms; page work while loading (ms), longest of each kind ${JSON.stringify(T.loadingMax ?? {})}, sum of each ${JSON.stringify(work)}`,
  ];
}

process.stdout.write(`viewer on ${outDir} (${racks} racks, ${POLICY})\n`);
await measureRounds(sites, tmp, Math.max(1, Number(args.values.rounds) || 1), (browser, url) => measure(browser, url));
