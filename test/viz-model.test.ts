import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveFromLog } from '../src/output/read-log.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario, type ScenarioSummary } from '../src/scenario/run.ts';
import { buildManifest } from '../viz/server/manifest.ts';
import { serveStatic } from '../viz/server/static-server.ts';
import { RunModel } from '../viz/src/run-model.ts';

const FIXTURE = 'test/fixtures/viz-small.yaml';
const line = (r: object) => JSON.stringify(r) + '\n';
const RUN = { t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: [{ id: 'n0', cpu: 8000, memory: 1024, gpus: [{ model: 'A', capacity: 1000 }, { model: 'A', capacity: 1000 }] }] };
const arrival = (t: number, job: string, gpus: number, milli: number, tenant = 'a') => ({ t, ev: 'arrival', job, tenant, cpu: 1000, mem: 1, gpus, milli, prio: 0, dur: 100 });
const start = (t: number, job: string, gpus: number[], milli: number) => ({ t, ev: 'start', job, node: 'n0', gpus, milli, attempt: 1 });

describe('viewer run model', () => {
  let dir = '';
  let summary: ScenarioSummary;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-vizm-'));
    summary = await runScenario(loadScenario(FIXTURE), { file: FIXTURE, out: join(dir, 'out') });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with the Deriver on every job and every timeline point of a real run', async () => {
    const log = join(dir, 'out', summary.runs[0].run, 'events.jsonl');
    const d = await deriveFromLog(log);
    const m = new RunModel();
    m.addText(readFileSync(log, 'utf8'));
    expect(m.jobs.length).toBe(d.jobs.size);
    for (const { row: j } of m.jobs) {
      const row = d.jobs.get(j.id)!;
      expect([j.submit, j.start, j.end, j.state, j.node, j.gpus]).toEqual([row.submit, row.start, row.end, row.state, row.node, row.gpus]);
    }
    expect(m.series.t).toEqual(d.timeline.map((p) => p.t));
    expect(m.series.alloc).toEqual(d.timeline.map((p) => p.gpuAllocated));
    expect(m.series.queued).toEqual(d.timeline.map((p) => p.queued));
    expect(m.series.running).toEqual(d.timeline.map((p) => p.running));
    const dm = d.metrics();
    const mm = m.metrics();
    for (const k of ['jobs', 'completed', 'jctMeanMs', 'jctP95Ms', 'waitMeanMs', 'makespanMs'] as const) expect(mm[k], k).toBe(dm[k]);
  });

  it('folds a log fed in arbitrary chunks (split mid-line) exactly as in one piece', () => {
    const text = readFileSync(join(dir, 'out', summary.runs[1].run, 'events.jsonl'), 'utf8');
    const whole = new RunModel();
    whole.addText(text);
    const parts = new RunModel();
    // Chunk sizes 1, 7, 49, 343, 2401 bytes, cycling: most boundaries fall inside a line.
    for (let i = 0, k = 0; i < text.length; k++) {
      const n = 7 ** (k % 5);
      parts.addText(text.slice(i, i + n));
      i += n;
    }
    expect(parts.records.length).toBe(whole.records.length);
    expect(parts.series).toEqual(whole.series);
    expect(parts.jobs).toEqual(whole.jobs);
    expect(parts.lanes.map((l) => [l.key, l.starts, l.ends])).toEqual(whole.lanes.map((l) => [l.key, l.starts, l.ends]));
  });

  it('keeps unknown record types and non-JSON lines for the inspector without breaking the fold', () => {
    const m = new RunModel();
    m.addText(line(RUN) + line(arrival(0, 'j1', 1, 1000)) + line({ t: 0, ev: 'admit', job: 'j1' }) + line({ t: 5, ev: 'mig-reconfigure', gpu: 0 }) + 'not json\n' + line(start(5, 'j1', [0], 1000)) + line({ t: 9, ev: 'finish', job: 'j1', state: 'succeeded' }));
    expect(m.records.map((r) => r.ev)).toEqual(['run', 'arrival', 'admit', 'mig-reconfigure', '(unparsed)', 'start', 'finish']);
    expect(m.records.filter((r) => !r.known).length).toBe(2);
    expect([...m.problems.keys()]).toEqual(["records of unknown type 'mig-reconfigure' (inspector only)", 'lines that are not JSON records']);
    expect(m.jobs[0].row).toMatchObject({ start: 5, end: 9, state: 'succeeded' });
  });

  it('gives a shared GPU one lane per share slot and computes stranded share (fragmentation)', () => {
    const m = new RunModel();
    // Node n0: two GPUs of 1000 milli each, capacity 2000.
    m.addText(
      line(RUN) +
        [arrival(0, 'a', 1, 500), arrival(0, 'b', 1, 500), arrival(0, 'c', 1, 250), arrival(0, 'd', 0, 0)].map(line).join('') +
        ['a', 'b', 'c', 'd'].map((job) => line({ t: 0, ev: 'admit', job })).join('') +
        line(start(10, 'a', [0], 500)) + // gpu0 500/1000 used: 500 stranded
        line(start(20, 'b', [0], 500)) + // gpu0 full: 0 stranded
        line(start(30, 'c', [1], 250)) + // gpu1 250 used: 750 stranded
        line(start(30, 'd', [], 0)) + // CPU-only: own lane, no GPU share
        line({ t: 40, ev: 'finish', job: 'a', state: 'succeeded' }), // gpu0 500 used again: 500 + 750
    );
    expect(m.series.t).toEqual([0, 10, 20, 30, 40]);
    expect(m.series.frag).toEqual([0, 500, 0, 750, 1250]);
    // alloc: 500, 500+500, +250, then -500 → 500, 1000, 1250, 750.
    expect(m.series.alloc).toEqual([0, 500, 1000, 1250, 750]);
    expect(m.series.running).toEqual([0, 1, 2, 4, 3]);
    expect(m.lanes.map((l) => l.key)).toEqual(['n0/0#0', 'n0/0#1', 'n0/1#0', 'n0/cpu#0']);
    expect(m.lanes[0].ends).toEqual([40]);
    expect(m.lanes[1].ends).toEqual([Infinity]);
  });
});

describe('viewer data server', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-vizs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists runs in summary order and answers byte ranges of a growing log', async () => {
    const { mkdirSync } = await import('node:fs');
    for (const p of ['b/seed-1', 'a/seed-1']) mkdirSync(join(dir, p), { recursive: true });
    writeFileSync(join(dir, 'a/seed-1/events.jsonl'), '0123456789');
    writeFileSync(join(dir, 'b/seed-1/events.jsonl'), '');
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ scenario: 's', runs: [{ run: 'b/seed-1' }, { run: 'a/seed-1' }] }));
    const m = buildManifest(dir, true);
    expect(m.runs.map((r) => [r.run, r.label, r.seed])).toEqual([
      ['b/seed-1', 'b', 1],
      ['a/seed-1', 'a', 1],
    ]);
    expect([m.scenario, m.summary, m.fgdCurve]).toEqual(['s', true, false]);
    const { server, url } = await serveStatic(dir);
    const get = (path: string, range?: string) =>
      new Promise<{ status: number; body: string }>((ok, fail) => {
        const req = request(url + path, { headers: range ? { Range: range } : {} }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', fail);
        req.end();
      });
    try {
      expect(await get('a/seed-1/events.jsonl', 'bytes=4-')).toEqual({ status: 206, body: '456789' });
      expect((await get('a/seed-1/events.jsonl', 'bytes=10-')).status).toBe(416);
      expect(await get('a/seed-1/events.jsonl')).toEqual({ status: 200, body: '0123456789' });
      expect((await get('..%2F..%2Fetc/passwd')).status).toBe(403);
    } finally {
      server.close();
    }
  });
});

describe('viewer MIG lanes', () => {
  it('gives each granted MIG instance its own lane, named by profile and start slice, from a real MIG run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-vizmig-'));
    try {
      const file = 'scenarios/mig.yaml';
      const scn = loadScenario(file);
      const small = { ...scn, seeds: [1], policies: scn.policies.slice(1), workload: { ...scn.workload, jobs: 300 } } as typeof scn;
      const s = await runScenario(small, { file, out: join(dir, 'out') });
      const text = readFileSync(join(dir, 'out', s.runs[0].run, 'events.jsonl'), 'utf8');
      const m = new RunModel();
      m.addText(text);
      const starts = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((r) => r.ev === 'start' && r.mig);
      expect(starts.length).toBeGreaterThan(100);
      for (const r of starts) {
        const j = m.jobs.findIndex((x) => x.row.id === r.job);
        const lanes = m.lanes.filter((L) => L.jobs.includes(j));
        // One MIG job, one lane: that GPU's instance, e.g. "3g.40gb@4".
        expect(lanes.map((L) => [L.node, L.gpu, L.instance])).toEqual([[r.node, r.gpus[0], `${r.mig.profile}@${r.mig.start}`]]);
      }
      // Lanes of one GPU are distinct instances, and no lane holds two jobs at once.
      const keys = new Set(m.lanes.map((L) => `${L.node}/${L.gpu}/${L.instance}/${L.slot}`));
      expect(keys.size).toBe(m.lanes.length);
      for (const L of m.lanes) for (let i = 1; i < L.starts.length; i++) expect(L.starts[i]).toBeGreaterThanOrEqual(L.ends[i - 1]);
      expect(new Set(m.lanes.filter((L) => L.node === starts[0].node && L.gpu === starts[0].gpus[0]).map((L) => L.instance)).size).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('viewer node outages', () => {
  it('folds node-down/node-up into outage intervals, and no job lane runs on a node while it is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-vizout-'));
    try {
      const file = 'scenarios/node-failures.yaml';
      const scn = loadScenario(file);
      const s = await runScenario({ ...scn, seeds: [1], policies: scn.policies.slice(0, 1) }, { file, out: join(dir, 'out') });
      const text = readFileSync(join(dir, 'out', s.runs[0].run, 'events.jsonl'), 'utf8');
      const m = new RunModel();
      m.addText(text);
      const recs = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((r) => r.ev === 'node-down' || r.ev === 'node-up');
      const downs = recs.filter((r) => r.ev === 'node-down');
      expect(downs.length).toBe(s.runs[0].metrics.failures!.nodeDowns);
      expect([...m.outages.values()].reduce((a, o) => a + o.starts.length, 0)).toBe(downs.length);
      for (const r of recs) {
        const o = m.outages.get(r.node)!;
        expect(r.ev === 'node-down' ? o.starts : o.ends).toContain(r.t);
      }
      expect(m.problems.size).toBe(0);
      let checked = 0;
      for (const L of m.lanes) {
        const o = m.outages.get(L.node);
        if (!o) continue;
        for (let i = 0; i < L.starts.length; i++) {
          for (let k = 0; k < o.starts.length; k++) {
            // A segment may end at the instant its node goes down, and start when it is up again.
            const overlap = Math.min(L.ends[i], o.ends[k]) - Math.max(L.starts[i], o.starts[k]);
            expect(overlap, `${L.key} segment ${i} vs outage ${k}`).toBeLessThanOrEqual(0);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
