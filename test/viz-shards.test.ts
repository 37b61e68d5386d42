import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyFilter, JobFlags, searchMatcher } from '../viz/src/filter.ts';
import type { GanttRow } from '../viz/src/gantt-rows.ts';
import { routingHistory, routingLine } from '../viz/src/job-routing-view.ts';
import { RunModel } from '../viz/src/run-model.ts';
import { RunView } from '../viz/src/run-view.ts';
import { AUTO_COLLAPSE_ROWS, ShardCollapse } from '../viz/src/shard-collapse.ts';
import { shardColumns, shardOfNode, shardQuery, shardRows, shardUtil } from '../viz/src/shards.ts';
import { DeltaEncoder } from '../viz/src/wire.ts';
import { vizPipeline } from './helpers/viz-pipeline.ts';
import { plainRows, smallRun, withHierarchy, type HierarchyFixture } from './viz-hierarchy-log.ts';

/**
 * The viewer and a scheduler hierarchy's records (issue 17): the run record's shards, route /
 * bounce / steal per job and shard outages travel from the worker's fold to the page (fed in
 * three deltas, as a long log is); the rest of the fold is what it is without them; `shard:<id>`
 * searches a shard's jobs; rows group under shard headers; a shard's utilisation over a range.
 * The log is a real small run with hierarchy records added (test/viz-hierarchy-log.ts).
 */
/** The page's view of `lines`, fed in three parts. */
function view(lines: string[]) {
  const p = vizPipeline();
  const a = Math.floor(lines.length / 3);
  p.feed(lines.slice(0, a));
  p.feed(lines.slice(a, 2 * a));
  p.feed(lines.slice(2 * a));
  return p;
}

describe('viewer: a scheduler hierarchy', () => {
  let dir = '';
  let plain: string[] = [];
  let fx: HierarchyFixture;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-viz-shards-'));
    plain = (await smallRun(dir)).lines;
    fx = withHierarchy(plain);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the fixture is a valid log with every hierarchy record in it', () => {
    const evs = new Set(fx.lines.map((l) => (JSON.parse(l) as { ev: string }).ev));
    for (const ev of ['route', 'bounce', 'steal', 'shard-down', 'shard-up']) expect(evs.has(ev)).toBe(true);
    expect(fx.bounced.length).toBeGreaterThan(3);
    expect(fx.stolen.length).toBeGreaterThan(2);
    // Nodes a100-0, a100-1, t4-0 dealt in turn.
    expect(fx.shards).toEqual([{ id: 's0', nodes: ['a100-0', 't4-0'] }, { id: 's1', nodes: ['a100-1'] }]);
  });

  it('carries shards, each job’s shard and counts, its routing records and shard outages to the page', () => {
    const { v } = view(fx.lines);
    expect([...v.problems]).toEqual([]);
    expect(v.hierarchy).toEqual({ routing: 'least-loaded', shards: fx.shards });
    const J = v.jobs;
    for (const [id, shard] of fx.shardOf) expect([id, J.shard(J.indexOf(id)!)]).toEqual([id, shard]);
    const b = fx.bounced[0];
    const jb = J.indexOf(b)!;
    expect(J.get(jb)).toMatchObject({ shard: fx.shardOf.get(b), routes: 2, bounces: 1, steals: 0 });
    const other = fx.shardOf.get(b) === 's0' ? 's1' : 's0';
    expect(routingHistory(v, jb).map((s) => ({ ...s, t: 0 }))).toEqual([
      { ev: 'route', t: 0, shard: other, n: 1 },
      { ev: 'bounce', t: 0, shard: other, reason: 'no-fit' },
      { ev: 'route', t: 0, shard: fx.shardOf.get(b), n: 2 },
    ]);
    expect(routingLine(J.get(jb))).toBe(`shard ${fx.shardOf.get(b)} · routed 2× · bounced 1×`);
    const s = fx.stolen[0];
    const js = J.indexOf(s.job)!;
    expect(J.get(js)).toMatchObject({ shard: s.to, routes: 1, bounces: 0, steals: 1 });
    const hist = routingHistory(v, js);
    expect(hist.map((x) => x.ev)).toEqual(['route', 'steal']);
    // The steal is logged at the job's first start, the route at its admission.
    expect(hist[1]).toEqual({ ev: 'steal', t: J.start(js), from: s.from, to: s.to });
    expect(hist[0].t).toBe(J.submit(js));
    expect(v.shardOutages.get('s1')).toEqual({ starts: [fx.down.from], ends: [fx.down.to] });
    expect(v.shardOutages.size).toBe(1);
  });

  it('folds everything else as the same log without hierarchy records (jobs, lanes, timelines, metrics)', () => {
    const a = view(plain);
    const b = view(fx.lines);
    expect(a.v.hierarchy).toBeUndefined();
    expect(a.v.routing.size).toBe(0);
    expect(plainRows(b.m.deriver.jobs.values())).toEqual(plainRows(a.m.deriver.jobs.values()));
    expect(plainRows(b.m.deriver.jobs.values()).length).toBe(80);
    expect(b.m.deriver.timeline).toEqual(a.m.deriver.timeline);
    expect(b.m.deriver.metrics()).toEqual(a.m.deriver.metrics());
    expect(b.v.lanes).toEqual(a.v.lanes);
    expect(b.v.series).toEqual(a.v.series);
    expect(b.v.nodeSeries).toEqual(a.v.nodeSeries);
    // The page's jobs: the same but for the routing columns.
    const strip = (x: ReturnType<typeof a.v.jobs.get>) => ({ ...x, row: plainRows([x.row])[0], shard: '', routes: 0, bounces: 0, steals: 0 });
    for (let j = 0; j < a.v.jobs.length; j++) expect(strip(b.v.jobs.get(j))).toEqual({ ...a.v.jobs.get(j), row: plainRows([a.v.jobs.get(j).row])[0] });
  });

  it('sends routing columns, routing records and shard outages only for a run with a hierarchy', () => {
    const delta = (lines: string[]) => {
      const m = new RunModel();
      const e = new DeltaEncoder(m);
      m.addLines(lines);
      return e.encode(false).delta;
    };
    const d = delta(plain);
    expect([d.head?.hierarchy, d.jobs.routing, d.routing, d.shardOutages]).toEqual([undefined, undefined, undefined, undefined]);
    const h = delta(fx.lines);
    expect(h.head?.hierarchy?.shards.map((x) => x.id)).toEqual(['s0', 's1']);
    expect(h.jobs.routing!.num.length).toBe(3 * h.jobs.idx.length);
    expect(h.jobs.routing!.shard.length).toBe(h.jobs.idx.length);
    // One (job, record index) pair per route, bounce and steal record.
    const n = fx.lines.filter((l) => /"ev":"(route|bounce|steal)"/.test(l)).length;
    expect(h.routing!.length).toBe(2 * n);
    expect(h.shardOutages).toEqual([['s1', [fx.down.from], [fx.down.to]]]);
  });

  it('counts a shard-up with no shard-down as a problem, and keeps folding', () => {
    const end = fx.lines[fx.lines.length - 1];
    const t = (JSON.parse(end) as { t: number }).t;
    const { v } = view([...fx.lines.slice(0, -1), JSON.stringify({ t, ev: 'shard-up', shard: 's0' }), end]);
    expect([...v.problems]).toEqual([['shard-up without a shard-down', 1]]);
    expect(v.ended).toBe(true);
    expect(v.shardOutages.has('s0')).toBe(false);
  });

  it('shard:<id> searches the jobs a shard holds; the flags count them', () => {
    const { v } = view(fx.lines);
    expect(shardQuery(' shard: s1 ')).toBe('s1');
    expect(shardQuery('s1')).toBeUndefined();
    const ids = [...fx.shardOf.keys()];
    const inS1 = ids.filter((id) => fx.shardOf.get(id) === 's1');
    expect(inS1.length).toBeGreaterThan(0);
    expect(ids.filter(searchMatcher(v, 'shard:s1'))).toEqual(inS1);
    expect(ids.filter(searchMatcher(v, 'shard:nope'))).toEqual([]);
    expect(new JobFlags().get(v, { ...emptyFilter(), q: 'shard:s1' }).hits).toBe(inS1.length);
  });
});

describe('shard rows and utilisation', () => {
  const nodes = ['n0', 'n1', 'n2', 'n3'].map((id) => ({ id, gpus: [{}, {}] }));
  const h = { routing: 'random', shards: [{ id: 'b', nodes: ['n3', 'n1'] }, { id: 'a', nodes: ['n0'] }] };
  /** Two GPU rows per node n0..n3, in run-record order (as RunView.rowOrder gives them). */
  const rows: GanttRow[] = nodes.flatMap((n, i) => [0, 1].map((g) => ({ key: `${n.id}/${g}`, node: n.id, nodeIx: i, gpu: g, lanes: [2 * i + g], sub: [0], subs: 1 })));
  const keys = (r: GanttRow[]) => r.map((x) => x.key);

  it('groups rows under a header per shard, in the shard’s node order; unlisted nodes last', () => {
    expect(Array.from(shardOfNode(h, nodes))).toEqual([1, 0, -1, 0]);
    const out = shardRows(rows, h, nodes, new Set());
    expect(keys(out)).toEqual(['shard:b', 'n3/0', 'n3/1', 'n1/0', 'n1/1', 'shard:a', 'n0/0', 'n0/1', 'n2/0', 'n2/1']);
    expect(out[0].shard).toEqual({ id: 'b', ix: 0, nodes: 2, gpus: 4, collapsed: false });
    expect(out[5].shard).toEqual({ id: 'a', ix: 1, nodes: 1, gpus: 2, collapsed: false });
    expect(out[0].lanes).toEqual([]);
  });

  it('a collapsed shard keeps its header alone; a shard with no rows yet keeps its header', () => {
    expect(keys(shardRows(rows, h, nodes, new Set(['b'])))).toEqual(['shard:b', 'shard:a', 'n0/0', 'n0/1', 'n2/0', 'n2/1']);
    expect(shardRows(rows, h, nodes, new Set(['b']))[0].shard!.collapsed).toBe(true);
    expect(keys(shardRows(rows.slice(0, 2), h, nodes, new Set()))).toEqual(['shard:b', 'shard:a', 'n0/0', 'n0/1']);
  });

  it('utilisation: the time integral of the nodes’ allocation over capacity × range', () => {
    const S = (t: number[], alloc: number[]) => ({ t: Float64Array.from(t), alloc: Float64Array.from(alloc) });
    // n0 (2000 milli): 1000 from t=0, 2000 from 10, 0 from 20. n1 (2000): 500 from 5 on.
    const series = [S([0, 10, 20], [1000, 2000, 0]), S([5], [500])];
    const cap = [2000, 2000];
    // [0, 20]: n0 1000·10 + 2000·10 = 30,000; n1 500·15 = 7,500; / (4000 · 20) = 37,500 / 80,000 = 0.46875
    expect(shardUtil(series, cap, [0, 1], 0, 20, 40)).toBeCloseTo(0.46875, 12);
    // [10, 30]: n0 2000·10 = 20,000; n1 500·20 = 10,000; / (4000 · 20) = 0.375
    expect(shardUtil(series, cap, [0, 1], 10, 30, 40)).toBeCloseTo(0.375, 12);
    // Only up to `now` (25): [10, 30] n0 20,000, n1 500·15 = 7,500 → 27,500 / 80,000
    expect(shardUtil(series, cap, [0, 1], 10, 30, 25)).toBeCloseTo(0.34375, 12);
    expect(shardUtil(series, cap, [], 0, 20, 40)).toBeNaN();
    // Two columns of [0, 20]: [0, 10) n0 1000·10 + n1 500·5 = 12,500 / (4000 · 10) = 0.3125;
    // [10, 20) n0 2000·10 + n1 500·10 = 25,000 / 40,000 = 0.625 (their mean is the range's 0.46875).
    expect(Array.from(shardColumns(series, cap, [0, 1], 0, 20, 40, 2))).toEqual([0.3125, 0.625]);
    // Four columns of [8, 16]: n0 1000 on [8, 10) then 2000; n1 500 throughout; each column 2 wide.
    // [8,10) (2000 + 1000) / 8000 = 0.375; then (4000 + 1000) / 8000 = 0.625 three times.
    expect(Array.from(shardColumns(series, cap, [0, 1], 8, 16, 40, 4))).toEqual([0.375, 0.625, 0.625, 0.625]);
  });

  it('collapses every shard on its own past AUTO_COLLAPSE_ROWS rows, unless set by the URL or a click; Shift sets them all', () => {
    const v = new RunView();
    v.nodes = nodes.map((n) => ({ id: n.id, gpus: [{ model: 'g', capacity: 1000 }, { model: 'g', capacity: 1000 }] }));
    v.hierarchy = h;
    const many: GanttRow[] = Array.from({ length: AUTO_COLLAPSE_ROWS + 1 }, (_, i) => ({ ...rows[i % rows.length], key: `r${i}` }));
    // A few rows: nothing collapsed; past the limit: every shard, once.
    const c = new ShardCollapse();
    expect(keys(c.rows(v, rows)).filter((k) => k.startsWith('shard:'))).toEqual(['shard:b', 'shard:a']);
    expect(c.collapsed.size).toBe(0);
    expect(keys(c.rows(v, many))).toEqual(['shard:b', 'shard:a', ...many.filter((R) => R.node === 'n2').map((R) => R.key)]);
    expect([...c.collapsed].sort()).toEqual(['a', 'b']);
    // A click expands one; it stays expanded when the rows are rebuilt.
    expect(c.toggle(v, 'b', false)).toBe(false);
    c.rows(v, many);
    expect([...c.collapsed]).toEqual(['a']);
    // Shift-click: every shard as the clicked one goes.
    expect(c.toggle(v, 'b', true)).toBe(true);
    expect([...c.collapsed].sort()).toEqual(['a', 'b']);
    expect(c.toggle(v, 'a', true)).toBe(false);
    expect(c.collapsed.size).toBe(0);
    c.rows(v, many);
    expect(c.collapsed.size).toBe(0);
    // A collapse from the URL decides for the run: no automatic collapse of the others.
    const u = new ShardCollapse();
    u.collapsed.add('a');
    u.rows(v, many);
    expect([...u.collapsed]).toEqual(['a']);
    // Without a hierarchy the rows are returned as they are.
    expect(new ShardCollapse().rows(new RunView(), many)).toBe(many);
  });
});
