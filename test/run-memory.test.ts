import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import { timelineCsv } from '../src/output/csv.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate, type SimInput } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `n` jobs on 8 GPUs, one every 2 s, 1–4 GPUs, 5–30 s; tenant `zz` submits only the last job (a late column). */
function jobs(n: number): JobSpec[] {
  return Array.from({ length: n }, (_, i) =>
    job(`j${i}`)
      .tenant(i === n - 1 ? 'zz' : ['b', 'a', 'c'][i % 3])
      .at(i * 2 * s)
      .gpus(1 + (i % 4))
      .runs((5 + ((i * 7) % 26)) * s)
      .build(),
  );
}

function run(list: JobSpec[], log: RunWriter, extra: Partial<SimInput> = {}) {
  const res = simulate({ run: 'm', seed: 1, nodes: [node('n0', 8)], jobs: list, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('first-fit')({}), log, ...extra });
  return { res, digest: log.close() };
}

describe('a run that writes files holds neither ended jobs nor timeline rows', () => {
  it('writes the timeline.csv a keeping Deriver gives, through a spool that crosses its buffer and is removed', () => {
    // 12,000 jobs: ~24,000 instants × 9 float64s, several 64 Ki-double spool buffers.
    const list = jobs(12_000);
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-spool-'));
    dirs.push(dir);
    const files = new RunWriter(dir);
    const kept = new RunWriter();
    const a = run(list, files);
    const b = run(list, kept);
    expect(a.digest).toBe(b.digest);
    expect(files.deriver.timeline).toEqual([]);
    expect(kept.deriver.timeline.length).toBeGreaterThan(20_000);
    const csv = readFileSync(join(dir, 'timeline.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('t_ms,gpu_alloc_milli,gpu_alloc_pct,queued,running,gpu_up_milli,share_pct_a,share_pct_b,share_pct_c,share_pct_zz');
    expect(csv).toBe(timelineCsv(kept.deriver.timeline, kept.deriver.gpuCapacity));
    expect(readdirSync(dir).sort()).toEqual(['events.jsonl', 'jobs.csv', 'timeline.csv']);
    expect(files.deriver.metrics()).toEqual(kept.deriver.metrics());
    expect(files.deriver.fairness()).toEqual(kept.deriver.fairness());
  });

  it('the core drops ended jobs when the log writes files, with the same log; keeps them otherwise', () => {
    const list = jobs(50);
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-forget-'));
    dirs.push(dir);
    const a = run(list, new RunWriter(dir));
    const b = run(list, new RunWriter());
    expect(a.digest).toBe(b.digest);
    expect(a.res.core.jobs.size).toBe(0);
    expect(b.res.core.jobs.size).toBe(50);
    expect([...b.res.core.jobs.values()].every((j) => j.state === 'succeeded')).toBe(true);
    // Asked for explicitly either way.
    expect(run(list, new RunWriter(), { keepEndedJobs: false }).res.core.jobs.size).toBe(0);
    expect(existsSync(join(dir, 'events.jsonl'))).toBe(true);
  });

  it('a dropped job still counts: its id cannot be reused, and a cancel after its end is a no-op', () => {
    const dup = [job('x').runs(1 * s).build(), job('x').at(5 * s).build()];
    expect(() => run(dup, new RunWriter(), { keepEndedJobs: false })).toThrow(/duplicate job id x/);
    const list = [job('x').runs(1 * s).build(), job('y').at(2 * s).runs(5 * s).build()];
    const kept = run(list, new RunWriter(), { cancels: [{ at: 3 * s, job: 'x' }, { at: 4 * s, job: 'y' }] });
    const dropped = run(list, new RunWriter(), { cancels: [{ at: 3 * s, job: 'x' }, { at: 4 * s, job: 'y' }], keepEndedJobs: false });
    expect(dropped.digest).toBe(kept.digest);
    expect(kept.res.core.jobs.get('y')!.state).toBe('cancelled');
  });
});

describe('the event log bytes', () => {
  it('are the JSON lines in order, with multi-byte text and a record longer than the write buffer, and the digest is their sha256', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-bytes-'));
    dirs.push(dir);
    const w = new RunWriter(dir, { keepLines: true });
    // A run record of 4,000 nodes: well over a third of the 1 MiB buffer, so written on its own.
    const nodes = Array.from({ length: 4000 }, (_, i) => node(`nœud-${i}`, 8));
    w.append({ t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes });
    for (let i = 0; i < 30_000; i++) {
      const rec: LogRecord = { t: i, ev: 'arrival', job: `j${i}`, tenant: ['é', '🙂', 'a"b'][i % 3], cpu: 1, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 5 };
      w.append(rec);
    }
    const digest = w.close();
    const bytes = readFileSync(join(dir, 'events.jsonl'));
    expect(bytes.toString('utf8')).toBe(w.lines!.join(''));
    expect(w.lines![0].length).toBeGreaterThan(400_000);
    expect(digest).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
