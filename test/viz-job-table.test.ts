import { describe, expect, it } from 'vitest';
import { JobTable } from '../viz/src/job-table.ts';
import { JOB_NUM, JOB_NUM_FIELDS, JOB_STR, JOB_STR_FIELDS } from '../viz/src/wire.ts';

/** Columns for jobs as the worker sends them: `jobs[k]` is job `idx[k]`, fields by name. */
function columns(strings: string[], jobs: { j: number; num: Partial<Record<(typeof JOB_NUM_FIELDS)[number], number>>; str: Partial<Record<(typeof JOB_STR_FIELDS)[number], string>> }[]) {
  const code = (s: string) => {
    let c = strings.indexOf(s);
    if (c < 0) c = strings.push(s) - 1;
    return c;
  };
  const num = new Float64Array(jobs.length * JOB_NUM);
  const str = new Uint32Array(jobs.length * JOB_STR);
  jobs.forEach((x, k) => {
    JOB_NUM_FIELDS.forEach((f, i) => (num[k * JOB_NUM + i] = x.num[f] ?? -1));
    JOB_STR_FIELDS.forEach((f, i) => (str[k * JOB_STR + i] = code(x.str[f] ?? '')));
  });
  return [Uint32Array.from(jobs.map((x) => x.j)), num, str] as const;
}

describe('viewer job table (columns; a job object only when one is shown)', () => {
  it('reads columns, builds a job on demand, rebuilds it after the job changes, and finds jobs by id', () => {
    const strings: string[] = [];
    const t = new JobTable(strings);
    t.set(...columns(strings, [
      { j: 0, num: { submit: 0, start: 5, end: -1, tenantIx: 1, dur: 100 }, str: { id: 'j0', tenant: 'b', state: 'running' } },
      { j: 1, num: { submit: 3, start: -1, end: -1, tenantIx: 0 }, str: { id: 'j1', tenant: 'a', state: 'queued' } },
    ]));
    expect(t.length).toBe(2);
    expect([t.id(1), t.tenant(1), t.state(1), t.submit(1), t.start(1), t.tenantIx(0), t.dur(0)]).toEqual(['j1', 'a', 'queued', 3, -1, 1, 100]);
    const j0 = t.get(0);
    expect(j0.row).toMatchObject({ id: 'j0', tenant: 'b', state: 'running', submit: 0, start: 5, end: -1 });
    // Built once and kept while the job does not change.
    expect(t.get(0)).toBe(j0);
    expect(t.indexOf('j1')).toBe(1);
    // Job 0 finishes and job 2 arrives in the next delta: job 0 is rebuilt, the index extended.
    t.set(...columns(strings, [
      { j: 0, num: { submit: 0, start: 5, end: 50, tenantIx: 1, dur: 100 }, str: { id: 'j0', tenant: 'b', state: 'succeeded' } },
      { j: 2, num: { submit: 9, tenantIx: 0 }, str: { id: 'j2', tenant: 'a', state: 'queued' } },
    ]));
    expect(t.length).toBe(3);
    expect(t.get(0)).not.toBe(j0);
    expect(t.get(0).row).toMatchObject({ end: 50, state: 'succeeded' });
    expect([t.indexOf('j2'), t.indexOf('j0'), t.indexOf('nope')]).toEqual([2, 0, undefined]);
    // Growing past the first capacity keeps what was there.
    const many = Array.from({ length: 3000 }, (_, k) => ({ j: 3 + k, num: { submit: k }, str: { id: `x${k}` } }));
    t.set(...columns(strings, many));
    expect(t.length).toBe(3003);
    expect([t.id(1), t.state(0), t.id(3002), t.submit(3002), t.indexOf('x2999')]).toEqual(['j1', 'succeeded', 'x2999', 2999, 3002]);
  });
});
