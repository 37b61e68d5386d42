import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import { RunModel } from '../viz/src/run-model.ts';

/**
 * The viewer folds records through the CLI's Deriver, so what it shows (makespan, every job's
 * first start, end and state) is what jobs.csv and summary.json say — checked here on real runs
 * with preemptions and node failures, the log fed to the viewer in uneven chunks as a live run is.
 */

interface CsvRow {
  start: number;
  end: number;
  state: string;
}

function jobsCsv(file: string): Map<string, CsvRow> {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const h = head.split(',');
  const col = (f: string[], k: string) => f[h.indexOf(k)];
  // An empty start or end (never started, unfinished) is the row's -1.
  const ms = (v: string) => (v === '' ? -1 : Number(v));
  return new Map(lines.map((l) => l.split(',')).map((f) => [col(f, 'id'), { start: ms(col(f, 'start_ms')), end: ms(col(f, 'end_ms')), state: col(f, 'state') }]));
}

/** Feeds `text` in chunks of 1, 7, 49, 343, 2401 … bytes, cycling: most cuts fall inside a line. */
function feedInChunks(m: RunModel, text: string): void {
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = 7 ** (k % 5);
    m.addText(text.slice(i, i + n));
    i += n;
  }
}

describe('viewer and CLI agree', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-vizagree-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    // node-failures: node-down/up, node-loss, requeue; quotas (drf): reclaim by preemption.
    ['scenarios/node-failures.yaml', 800, 0, 'node-loss'],
    ['scenarios/quotas.yaml', 300, 2, 'preempt'],
  ] as const)('%s: same makespan and metrics, same start/end/state for every job as jobs.csv', async (file, jobs, policy, needs) => {
    const scn = loadScenario(file);
    const small = { ...scn, seeds: [1], policies: [scn.policies[policy]], workload: { ...scn.workload, jobs } } as typeof scn;
    const s = await runScenario(small, { file, out: join(dir, scn.name) });
    const runDir = join(dir, scn.name, s.runs[0].run);
    const text = readFileSync(join(runDir, 'events.jsonl'), 'utf8');
    expect(text).toContain(`"ev":"${needs}"`);
    const m = new RunModel();
    feedInChunks(m, text);
    expect(m.problems.size).toBe(0);
    expect(m.ended).toBe(true);
    const cli = s.runs[0].metrics;
    expect(m.metrics().makespanMs).toBe(cli.makespanMs);
    const { failures: _, ...rest } = cli;
    expect(m.metrics()).toEqual(rest);
    const csv = jobsCsv(join(runDir, 'jobs.csv'));
    expect(m.jobs.length).toBe(csv.size);
    for (const { row } of m.jobs) expect({ start: row.start, end: row.end, state: row.state }, row.id).toEqual(csv.get(row.id));
    // The series is the CLI's timeline.csv, point for point.
    const timeline = readFileSync(join(runDir, 'timeline.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(m.series.t).toEqual(timeline.map((r) => r[0]));
    expect(m.series.alloc).toEqual(timeline.map((r) => r[1]));
    expect(m.series.queued).toEqual(timeline.map((r) => r[3]));
    expect(m.series.running).toEqual(timeline.map((r) => r[4]));
  });

  it('a queued job rejected last (a finish record in state rejected) ends the makespan for both', () => {
    // The viewer used to skip rejected jobs' ends when it computed makespan on its own:
    // (25000 - 0) ms = 25 s here, where it said (10000 - 0) ms = 10 s.
    const L = (r: object) => JSON.stringify(r) + '\n';
    const m = new RunModel();
    m.addText(
      L({ t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: [{ id: 'n0', cpu: 8000, memory: 1024, gpus: [{ model: 'A', capacity: 1000 }] }] }) +
        L({ t: 0, ev: 'arrival', job: 'a', tenant: 't', cpu: 1, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 10000 }) +
        L({ t: 0, ev: 'arrival', job: 'b', tenant: 't', cpu: 1, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 10000 }) +
        L({ t: 0, ev: 'admit', job: 'a' }) +
        L({ t: 0, ev: 'admit', job: 'b' }) +
        L({ t: 0, ev: 'start', job: 'a', node: 'n0', gpus: [0], milli: 1000, attempt: 1 }) +
        L({ t: 10000, ev: 'finish', job: 'a', state: 'succeeded' }) +
        L({ t: 25000, ev: 'finish', job: 'b', state: 'rejected', reason: 'never-fits' }) +
        L({ t: 25000, ev: 'end', events: 6 }),
    );
    expect(m.metrics()).toMatchObject({ makespanMs: 25_000, completed: 1, rejected: 1, unfinished: 0 });
    expect(m.series.queued).toEqual([1, 1, 0]);
  });

  it('sets aside a record with an invalid field or about a job with no arrival, and folds the rest', () => {
    const L = (r: object) => JSON.stringify(r) + '\n';
    const m = new RunModel();
    m.addText(
      L({ t: 0, ev: 'arrival', job: 'a', tenant: 't', cpu: 1, mem: 1, gpus: 0, milli: 0, prio: 0, dur: 5 }) +
        L({ t: 0, ev: 'admit', job: 'a' }) +
        L({ t: 1, ev: 'start', job: 'a', node: 'n0', gpus: ['0'], milli: 0, attempt: 1 }) +
        L({ t: 1, ev: 'start', job: 'ghost', node: 'n0', gpus: [], milli: 0, attempt: 1 }) +
        L({ t: 2, ev: 'start', job: 'a', node: 'n0', gpus: [], milli: 0, attempt: 1 }),
    );
    expect(m.records.map((r) => [r.ev, r.known, r.note.split(':')[0]])).toEqual([
      ['arrival', true, ''],
      ['admit', true, ''],
      ['start', false, 'invalid gpus.0'],
      ['start', true, 'job with no arrival'],
      ['start', true, ''],
    ]);
    expect([...m.problems]).toEqual([
      ["'start' records with an invalid field (inspector only)", 1],
      ['records about a job with no arrival', 1],
    ]);
    expect(m.jobs[0].row).toMatchObject({ start: 2, state: 'running' });
  });
});
