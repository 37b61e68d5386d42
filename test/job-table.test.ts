import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { LogRecord } from '../src/log/records.ts';
import { jobsCsv, writeJobTableCsv } from '../src/output/csv.ts';
import { CsvBytes } from '../src/output/csv-bytes.ts';
import { Deriver } from '../src/output/derive.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const RUN: LogRecord = { t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: [{ id: 'n0', cpu: 1000, memory: 1, gpus: [{ model: 'A100', capacity: 1000 }, { model: 'A100', capacity: 1000 }] }] };
const arrival = (t: number, id: string, tenant = 'a'): LogRecord => ({ t, ev: 'arrival', job: id, tenant, cpu: 1, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 10 });

function fold(records: LogRecord[]): Deriver {
  const d = new Deriver();
  for (const r of records) d.add(r);
  d.finish();
  return d;
}

describe('the Deriver\'s job columns', () => {
  it('give live rows: a row taken at arrival shows the later start and finish', () => {
    const d = new Deriver();
    d.add(RUN);
    d.add(arrival(0, 'j1'));
    const row = d.jobs.get('j1')!;
    expect(row).toMatchObject({ id: 'j1', tenant: 'a', state: 'pending', start: -1, end: -1 });
    d.add({ t: 0, ev: 'admit', job: 'j1' });
    d.add({ t: 5, ev: 'start', job: 'j1', node: 'n0', gpus: [0, 1], milli: 1000, attempt: 1 });
    expect(row).toMatchObject({ state: 'running', start: 5, node: 'n0', gpus: '0;1', milli: 1000, attempts: 1 });
    d.add({ t: 15, ev: 'finish', job: 'j1', state: 'succeeded' });
    expect(row).toMatchObject({ state: 'succeeded', end: 15 });
  });

  it('find an ended job by id, and take a record about it after its end', () => {
    const d = fold([RUN, arrival(0, 'j1'), arrival(0, 'j2'), { t: 1, ev: 'reject', job: 'j1', reason: 'never-fits' }, { t: 2, ev: 'cancel', job: 'j1' }]);
    expect(d.follows({ t: 3, ev: 'cancel', job: 'j1' })).toBe(true);
    expect(d.follows({ t: 3, ev: 'cancel', job: 'nope' })).toBe(false);
    expect(d.jobs.get('j1')).toMatchObject({ state: 'rejected', reason: 'never-fits', end: 1 });
    expect(d.jobs.has('j2')).toBe(true);
    expect(() => d.add({ t: 3, ev: 'admit', job: 'nope' })).toThrow(/job nope before its arrival/);
  });

  it('give a job that arrives again while going a fresh row in its old place, as a Map would', () => {
    const d = fold([RUN, arrival(0, 'j1', 'a'), arrival(0, 'j2'), arrival(1, 'j1', 'b')]);
    expect([...d.jobs.values()].map((j) => [j.id, j.tenant, j.submit])).toEqual([
      ['j1', 'b', 1],
      ['j2', 'a', 0],
    ]);
  });

  it('write jobs.csv straight from the columns as the rows give it (quoting, gangs, never-started jobs)', () => {
    const log = new RunWriter(undefined);
    simulate({
      run: 'o',
      seed: 1,
      nodes: [node('n0', 2), node('n1', 2)],
      jobs: [
        job('gang').gpus(3).runs(10_000).build(),
        job('q"uote,d').tenant('t,"x"').milli(500).runs(5_000).build(),
        job('big').gpus(8).runs(1_000).build(),
        ...Array.from({ length: 30 }, (_, i) => job(`w${i}`).gpus(2).runs(1_000 + i).build()),
      ],
      queue: queuePolicyFactory('fifo')({}),
      placement: placementPolicyFactory('first-fit')({}),
      log,
      scheduler: { gang: { spanNodes: true } },
    });
    log.close();
    const d = log.deriver;
    const out = new CsvBytes();
    writeJobTableCsv(d.jobs, out);
    out.close();
    const text = out.bytes().toString('utf8');
    expect(text).toBe(jobsCsv(d.jobs.values()));
    expect(text).toContain('"q""uote,d","t,""x"""');
    expect(text).toContain('\ngang,t,0,0,10000,succeeded,3,1000,n0|n1,0;1|0,1000,1,,0,0,0\n');
    expect(text).toContain('\nbig,t,0,,0,rejected,8,1000,,,,0,never-fits,0,0,0\n');
    expect(text.split('\n')).toHaveLength(1 + 33 + 1);
  });

  it('release a lost attempt\'s GPUs for fairness too: a requeue with a reason ends the attempt\'s share', () => {
    // j1 (tenant a, one whole GPU) runs 0–10, its worker is lost (requeue with reason, lost 10),
    // it runs again 20–30. Tenant a held 1000 milli-GPU during [0, 10) and [20, 30): 20 GPU·s,
    // and nothing in between; before the fix the first attempt's share was never released, so
    // a held 2000 from t=20 and was credited 30 GPU·s.
    const d = fold([
      RUN, arrival(0, 'j1'), { t: 0, ev: 'admit', job: 'j1' },
      { t: 0, ev: 'start', job: 'j1', node: 'n0', gpus: [0], milli: 1000, attempt: 1 },
      { t: 10, ev: 'requeue', job: 'j1', reason: 'stale worker', lost: 10, left: 10 },
      { t: 20, ev: 'start', job: 'j1', node: 'n0', gpus: [1], milli: 1000, attempt: 2 },
      { t: 30, ev: 'finish', job: 'j1', state: 'succeeded' },
    ]);
    expect(d.timeline.map((r) => [r.t, r.tenants?.a])).toEqual([[0, 1000], [10, 0], [20, 1000], [30, 0]]);
    expect(d.fairness().tenants[0]).toMatchObject({ tenant: 'a', gpuMs: 20 });
  });
});
