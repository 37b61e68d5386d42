import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunModel } from '../viz/src/run-model.ts';
import { RunView } from '../viz/src/run-view.ts';
import { DeltaEncoder, type Delta } from '../viz/src/wire.ts';
import { vizPipeline } from './helpers/viz-pipeline.ts';
import { smallRun, withHierarchy } from './viz-hierarchy-log.ts';

/**
 * The worker's deltas (viz/src/wire.ts) carry only what the records since the last post changed:
 * the lanes and the nodes' series they touched (packed into one column each), node outages only
 * when they changed; so a delta costs what its records cost, not the cluster's size. The page's
 * copy after many small deltas is the one after a single delta of the whole log.
 */

const node = (id: string) => ({ id, cpu: 8000, memory: 1024, gpus: [{ model: 'A', capacity: 1000 }, { model: 'A', capacity: 1000 }] });
const RUN = { t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: ['n0', 'n1', 'n2', 'n3'].map(node) };
const arrival = (t: number, job: string) => ({ t, ev: 'arrival', job, tenant: 'a', cpu: 1000, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 100 });
const admit = (t: number, job: string) => ({ t, ev: 'admit', job });
const start = (t: number, job: string, on: string, gpu: number) => ({ t, ev: 'start', job, node: on, gpus: [gpu], milli: 1000, attempt: 1 });
const finish = (t: number, job: string) => ({ t, ev: 'finish', job, state: 'succeeded' });
const lines = (...rs: object[]) => rs.map((r) => JSON.stringify(r));

/** A worker fold and its encoder; `post(lines)` folds them and returns the delta they make. */
function worker() {
  const m = new RunModel();
  const e = new DeltaEncoder(m);
  return {
    m,
    post(ls: string[]): Delta {
      m.addLines(ls);
      return e.encode(false).delta;
    },
  };
}

/** Per packed part: [entity index, first index sent, how many]. */
const parts = (p: { ix: Uint32Array; from: Uint32Array; count: Uint32Array }) => Array.from(p.ix, (ix, k) => [ix, p.from[k], p.count[k]]);

describe('viewer deltas: only what changed', () => {
  it('carries the lanes and node series the new records touched, not every node’s', () => {
    const w = worker();
    // Four nodes of two GPUs; a runs on n0/0 and b on n1/0 from t=10.
    const d1 = w.post(lines(RUN, arrival(0, 'a'), arrival(0, 'b'), arrival(0, 'c'), admit(0, 'a'), admit(0, 'b'), admit(0, 'c'), start(10, 'a', 'n0', 0), start(10, 'b', 'n1', 0)));
    expect(d1.head?.nodes.length).toBe(4);
    // Lanes 0 (n0/0#0) and 1 (n1/0#0), new: their meta and their one segment each.
    expect(parts(d1.lanes)).toEqual([[0, 0, 1], [1, 0, 1]]);
    expect(d1.lanes.meta.map(([i, meta]) => [i, meta.key])).toEqual([[0, 'n0/0#0'], [1, 'n1/0#0']]);
    expect(Array.from(d1.lanes.cols.starts)).toEqual([10, 10]);
    expect(Array.from(d1.lanes.cols.ends)).toEqual([Infinity, Infinity]);
    // Nodes n0 and n1 got one point each (t=10, 1000 milli allocated); n2 and n3 are not sent.
    expect(parts(d1.nodeSeries)).toEqual([[0, 0, 1], [1, 0, 1]]);
    expect([Array.from(d1.nodeSeries.t), Array.from(d1.nodeSeries.alloc)]).toEqual([[10, 10], [1000, 1000]]);

    // a ends at 50; c starts on n3/1 at 60; b (still running on n1) is untouched.
    const d2 = w.post(lines(finish(50, 'a'), start(60, 'c', 'n3', 1)));
    // Lane 0 from its segment open at the last post (now closed at 50); lane 2 new; lane 1 not sent.
    expect(parts(d2.lanes)).toEqual([[0, 0, 1], [2, 0, 1]]);
    expect(d2.lanes.meta.map(([i, meta]) => [i, meta.key])).toEqual([[2, 'n3/1#0']]);
    expect(Array.from(d2.lanes.cols.ends)).toEqual([50, Infinity]);
    // n0 from its last point sent (index 0) on: [10, 50]; n3 its first point. n1 and n2 not sent.
    expect(parts(d2.nodeSeries)).toEqual([[0, 0, 2], [3, 0, 1]]);
    expect(Array.from(d2.nodeSeries.t)).toEqual([10, 50, 60]);
    expect(Array.from(d2.nodeSeries.alloc)).toEqual([1000, 0, 1000]);

    // Lane 0's segment is closed: a later delta starts it past it.
    const d3 = w.post(lines(arrival(70, 'd'), admit(70, 'd'), start(80, 'd', 'n0', 0)));
    expect(parts(d3.lanes)).toEqual([[0, 1, 1]]);
    expect(parts(d3.nodeSeries)).toEqual([[0, 1, 2]]);
    // No record since: nothing at all.
    const d4 = w.post([]);
    expect([parts(d4.lanes), parts(d4.nodeSeries), d4.jobs.idx.length]).toEqual([[], [], 0]);
  });

  it('the page keeps a delta’s columns as they came (no copy) and never writes into them', () => {
    const w = worker();
    const v = new RunView();
    v.apply(w.post(lines(RUN, arrival(0, 'a'), arrival(0, 'b'), arrival(0, 'c'), admit(0, 'a'), admit(0, 'b'), admit(0, 'c'), start(10, 'a', 'n0', 0), start(10, 'b', 'n1', 0))));
    // a and b end at 50: lanes 0 and 1 side by side in one packed column, kept as views of it.
    const d2 = w.post(lines(finish(50, 'a'), finish(50, 'b')));
    v.apply(d2);
    expect(v.lanes[0].ends.buffer).toBe(d2.lanes.cols.ends.buffer);
    expect(v.lanes[1].ends.buffer).toBe(d2.lanes.cols.ends.buffer);
    // c starts on n0/0: lane 0 grows past its view, into a buffer of its own; lane 1 stays.
    v.apply(w.post(lines(start(60, 'c', 'n0', 0))));
    expect(Array.from(d2.lanes.cols.ends)).toEqual([50, 50]);
    expect([Array.from(v.lanes[0].ends), Array.from(v.lanes[1].ends)]).toEqual([[50, Infinity], [50]]);
    expect(v.lanes[0].ends.buffer).not.toBe(d2.lanes.cols.ends.buffer);
  });

  it('sends node outages when they changed, and keeps the page’s otherwise', () => {
    const p = vizPipeline();
    const w = worker();
    const chunks = [
      lines(RUN, arrival(0, 'a'), admit(0, 'a')),
      lines({ t: 5, ev: 'node-down', node: 'n2', jobs: [] }),
      lines(start(10, 'a', 'n0', 0)),
      lines({ t: 20, ev: 'node-up', node: 'n2' }),
      lines(finish(30, 'a')),
    ];
    const sent = chunks.map((c) => {
      p.feed(c);
      // postMessage clones what it sends: so does this, before later records change the model's arrays.
      return structuredClone(w.post(c).outages);
    });
    expect(sent).toEqual([undefined, [['n2', [5], [Infinity]]], undefined, [['n2', [5], [20]]], undefined]);
    expect([...p.v.outages]).toEqual([['n2', { starts: [5], ends: [20] }]]);
  });

  it('gives the page a series for every node, empty where nothing ran', () => {
    const p = vizPipeline();
    p.feed(lines(RUN, arrival(0, 'a'), admit(0, 'a'), start(10, 'a', 'n2', 1)));
    expect(p.v.nodeSeries.map((S) => Array.from(S.t))).toEqual([[], [], [10], []]);
  });
});

describe('viewer deltas: incremental equals whole', () => {
  let dir = '';
  let log: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-viz-wire-'));
    log = withHierarchy((await smallRun(dir)).lines).lines;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Everything the views read from the page's copy, as plain values. */
  const snapshot = (v: RunView) => ({
    head: [v.run, v.mode, v.queue, v.placement, v.seed, v.nodes, v.nodeCap, v.hierarchy],
    lanes: v.lanes.map((L) => ({ ...L, starts: Array.from(L.starts), ends: Array.from(L.ends), jobs: Array.from(L.jobs), off: Array.from(L.off), milli: Array.from(L.milli), endKind: Array.from(L.endKind) })),
    laneVersion: v.laneVersion,
    nodeSeries: v.nodeSeries.map((S) => [Array.from(S.t), Array.from(S.alloc), Array.from(S.strand)]),
    series: [v.series.t, v.series.alloc, v.series.frag, v.series.queued, v.series.running, ...v.series.tenantAlloc].map((c) => Array.from(c)),
    jobs: Array.from({ length: v.jobs.length }, (_, j) => v.jobs.get(j)),
    records: Array.from({ length: v.records.length }, (_, i) => v.records.get(i)),
    rejected: Array.from(v.rejected),
    outages: [...v.outages],
    shardOutages: [...v.shardOutages],
    routing: [...v.routing],
    problems: [...v.problems],
    tail: [v.tenants, v.ended, v.lastT, v.firstT, v.gpuCapacity],
  });

  it('the page’s copy after a delta every 1, 7 or 61 records equals the one after a single delta', () => {
    const whole = vizPipeline();
    whole.feed(log);
    const want = snapshot(whole.v);
    // The fixture has jobs, lanes on several nodes, shard outages and routing to compare.
    expect(want.lanes.length).toBeGreaterThan(4);
    expect(want.nodeSeries.filter(([t]) => t.length > 0).length).toBeGreaterThan(1);
    expect(want.shardOutages.length).toBe(1);
    for (const n of [1, 7, 61]) {
      const p = vizPipeline();
      for (let i = 0; i < log.length; i += n) p.feed(log.slice(i, i + n));
      expect(snapshot(p.v)).toEqual(want);
    }
  });

  it('the page’s lanes and node series are the worker’s', () => {
    const p = vizPipeline();
    for (let i = 0; i < log.length; i += 13) p.feed(log.slice(i, i + 13));
    expect(p.v.lanes.map((L) => [L.key, Array.from(L.starts), Array.from(L.ends), Array.from(L.jobs), Array.from(L.endKind)])).toEqual(p.m.lanes.map((L) => [L.key, L.starts, L.ends, L.jobs, L.endKind]));
    expect(p.v.nodeSeries.map((S) => [Array.from(S.t), Array.from(S.alloc), Array.from(S.strand)])).toEqual(p.m.nodeSeries.map((S) => [S.t, S.alloc, S.strand]));
  });
});
