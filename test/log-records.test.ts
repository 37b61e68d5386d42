import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobState } from '../src/jobs/lifecycle.ts';
import { checkLogLine, checkLogValue, fastRecord, JOB_STATES, LOG_EVENTS, LogRecordError, LogRecordSchema, parseLogRecord, type LogNodeSpec } from '../src/log/records.ts';
import { deriveFromLog } from '../src/output/read-log.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import { hierarchyScenario, plainRows, smallRun, withHierarchy } from './viz-hierarchy-log.ts';

// Compile-time: the bottom module's copies of JobState and NodeSpec agree with the originals both
// ways (tsc fails here when one side gains a field or a state the other lacks).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statesAgree: Same<JobState, (typeof JOB_STATES)[number]> = true;
const nodeSpecsAgree: Same<Required<NodeSpec>['gpus'][number], Required<LogNodeSpec>['gpus'][number]> & (NodeSpec extends LogNodeSpec ? true : false) & (LogNodeSpec extends NodeSpec ? true : false) = true;

const line = (r: object) => JSON.stringify(r);
const ARRIVAL = { t: 0, ev: 'arrival', job: 'j1', tenant: 'a', cpu: 1000, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 100 };
const RUN = { t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: [{ id: 'n0', cpu: 1000, memory: 1, gpus: [] }] };
const START = { t: 5, ev: 'start', job: 'j1', node: 'n0', gpus: [0], milli: 1000, attempt: 1 };

describe('log record schema', () => {
  it('mirrors JobState and NodeSpec (checked by tsc above)', () => {
    expect([statesAgree, nodeSpecsAgree]).toEqual([true, true]);
    expect(LOG_EVENTS).toEqual(['run', 'arrival', 'admit', 'reject', 'start', 'preempt', 'requeue', 'finish', 'cancel', 'node-down', 'node-loss', 'node-up', 'route', 'bounce', 'steal', 'shard-down', 'shard-up', 'end']);
  });

  it.each([
    ['', { kind: 'blank' }],
    ['{"t":0,', { kind: 'not-json' }],
    ['[1,2]', { kind: 'not-record' }],
    ['{"t":0}', { kind: 'not-record' }],
    ['{"t":0,"ev":"mig-reconfigure"}', { kind: 'unknown-ev', ev: 'mig-reconfigure' }],
    [line({ ...START, gpus: [0, '1'] }), { kind: 'invalid', ev: 'start', field: 'gpus.1' }],
    [line({ ...START, t: 1.5 }), { kind: 'invalid', ev: 'start', field: 't' }],
    [line({ ...START, mig: { profile: '1g.10gb' } }), { kind: 'invalid', ev: 'start', field: 'mig.start' }],
    [line({ t: 9, ev: 'finish', job: 'j1', state: 'done' }), { kind: 'invalid', ev: 'finish', field: 'state' }],
    [line({ t: 9, ev: 'node-down', node: 'n0' }), { kind: 'invalid', ev: 'node-down', field: 'jobs' }],
    [line(ARRIVAL), { kind: 'record', record: ARRIVAL }],
    [line({ ...ARRIVAL, parent: 'j0', depth: 2 }), { kind: 'record', record: { ...ARRIVAL, parent: 'j0', depth: 2 } }],
    [line({ ...ARRIVAL, parent: '', depth: 1 }), { kind: 'invalid', ev: 'arrival', field: 'parent' }],
    [line({ ...ARRIVAL, parent: 'j0', depth: 0 }), { kind: 'invalid', ev: 'arrival', field: 'depth' }],
    [line({ ...ARRIVAL, parent: 'j0', depth: 1.5 }), { kind: 'invalid', ev: 'arrival', field: 'depth' }],
    [line({ t: 3, ev: 'cancel', job: 'j1' }), { kind: 'record' }],
    [line({ t: 4, ev: 'route', job: 'j1', shard: 's0', n: 2 }), { kind: 'record' }],
    [line({ t: 4, ev: 'route', job: 'j1', shard: 's0', n: 0 }), { kind: 'invalid', ev: 'route', field: 'n' }],
    [line({ t: 4, ev: 'route', job: 'j1', shard: '', n: 1 }), { kind: 'invalid', ev: 'route', field: 'shard' }],
    [line({ t: 4, ev: 'bounce', job: 'j1', shard: 's0' }), { kind: 'invalid', ev: 'bounce', field: 'reason' }],
    [line({ t: 4, ev: 'steal', job: 'j1', from: 's0', to: 's1' }), { kind: 'record' }],
    [line({ t: 4, ev: 'steal', job: 'j1', from: 's0' }), { kind: 'invalid', ev: 'steal', field: 'to' }],
    [line({ t: 4, ev: 'shard-down', shard: 's1' }), { kind: 'record' }],
    [line({ t: 4, ev: 'shard-up' }), { kind: 'invalid', ev: 'shard-up', field: 'shard' }],
    [line({ ...RUN, hierarchy: { routing: 'least-loaded', shards: [{ id: 's0', nodes: ['n0'] }] } }), { kind: 'record', record: { ...RUN, hierarchy: { routing: 'least-loaded', shards: [{ id: 's0', nodes: ['n0'] }] } } }],
    [line({ ...RUN, hierarchy: { routing: 'random', shards: [{ id: '', nodes: [] }] } }), { kind: 'invalid', ev: 'run', field: 'hierarchy.shards.0.id' }],
    [line({ ...RUN, hierarchy: { routing: 'random', shards: [{ id: 's0', nodes: [''] }] } }), { kind: 'invalid', ev: 'run', field: 'hierarchy.shards.0.nodes.0' }],
  ])('classifies %s', (text, want) => {
    expect(checkLogLine(text)).toMatchObject(want);
  });

  it('parseLogRecord throws naming file:line, the record type and the field', () => {
    expect(parseLogRecord('  ', 'x.jsonl:1')).toEqual({ kind: 'blank' });
    expect(parseLogRecord(line(START), 'x.jsonl:2')).toEqual({ kind: 'record', record: START });
    const bad = () => parseLogRecord(line({ ...START, milli: -5 }), 'x.jsonl:3');
    expect(bad).toThrow(LogRecordError);
    expect(bad).toThrow(/^x\.jsonl:3: 'start' record, field 'milli': /);
    expect(() => parseLogRecord('nope', 'x.jsonl:4')).toThrow(/^x\.jsonl:4: not a JSON record/);
    expect(() => parseLogRecord('{"t":1,"ev":"oops"}', 'x.jsonl:5')).toThrow(/^x\.jsonl:5: unknown record type ev='oops'/);
  });
});

describe('reading a log back (deriveFromLog)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpulab-logrec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops at the first bad line with file, line and field', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, [line(ARRIVAL), '', line({ ...START, gpus: [0, 'x'] }), line(START)].join('\n') + '\n');
    await expect(deriveFromLog(file)).rejects.toThrow(`${file}:3: 'start' record, field 'gpus.1': `);
  });

  it('derives the same jobs, timeline and metrics from a log with hierarchy records (run hierarchy, route, bounce, steal, shard-down/up) as without them', async () => {
    const plain = (await smallRun(join(dir, 'hier'))).lines;
    const fx = withHierarchy(plain);
    expect(fx.lines.length - plain.length).toBeGreaterThan(80);
    const [a, b] = [join(dir, 'plain.jsonl'), join(dir, 'hier.jsonl')];
    writeFileSync(a, plain.join('\n') + '\n');
    writeFileSync(b, fx.lines.join('\n') + '\n');
    for (const text of fx.lines) expect(checkLogLine(text)).toEqual({ kind: 'record', record: JSON.parse(text) });
    const [da, db] = [await deriveFromLog(a), await deriveFromLog(b)];
    expect(plainRows(db.jobs.values())).toEqual(plainRows(da.jobs.values()));
    expect(db.jobs.size).toBe(80);
    expect(db.timeline).toEqual(da.timeline);
    expect(db.metrics()).toEqual(da.metrics());
  });

  it('a routing record about a job with no arrival names file and line', async () => {
    const file = join(dir, 'orphan-route.jsonl');
    writeFileSync(file, [line(ARRIVAL), line({ t: 1, ev: 'route', job: 'j9', shard: 's0', n: 1 })].join('\n') + '\n');
    await expect(deriveFromLog(file)).rejects.toThrow(`${file}:2: event log refers to job j9 before its arrival`);
  });

  it('names file and line for a valid record about a job with no arrival', async () => {
    const file = join(dir, 'orphan.jsonl');
    writeFileSync(file, [line(ARRIVAL), line({ ...START, job: 'j2' })].join('\n') + '\n');
    await expect(deriveFromLog(file)).rejects.toThrow(`${file}:2: event log refers to job j2 before its arrival`);
  });

  it('accepts every record real runs write, field for field (nothing stripped), covering every record type but cancel', async () => {
    const small = (file: string, jobs: number, policy: number, maxQueue?: number) => {
      const s = loadScenario(file);
      const scheduler = maxQueue === undefined ? s.scheduler : { ...s.scheduler, maxQueue };
      return { file, scn: { ...s, seeds: [1], policies: [s.policies[policy]], scheduler, workload: { ...s.workload, jobs } } as typeof s };
    };
    const seen = new Set<string>();
    let mig = 0;
    // node-failures: node-down/up/loss and requeue; quotas: preempt, and reject (queue-full) with a
    // bounded queue; mig: MIG grants on start records; a scheduler hierarchy: the run record's
    // hierarchy, route, bounce, shard-down/up (first run) and steal (second run).
    const hier = hierarchyScenario(dir);
    const scenarios = [small('scenarios/node-failures.yaml', 800, 0), small('scenarios/quotas.yaml', 300, 2, 20), small('scenarios/mig.yaml', 150, 1), { file: hier, scn: loadScenario(hier) }];
    const runs = [];
    for (const { file, scn } of scenarios) for (const run of (await runScenario(scn, { file, out: join(dir, scn.name) })).runs) runs.push({ name: scn.name, run });
    for (const [k, { name, run }] of runs.entries()) {
      const log = join(dir, name, run.run, 'events.jsonl');
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      for (const [i, text] of lines.entries()) {
        const o = checkLogLine(text);
        if (o.kind !== 'record') throw new Error(`${log}:${i + 1}: ${JSON.stringify(o)}`);
        expect(o.record).toEqual(JSON.parse(text));
        // Every record but the run record is one the fast path takes (zod is left the odd ones).
        if (o.record.ev !== 'run') expect(fastRecord(JSON.parse(text)), `${log}:${i + 1}`).toBeDefined();
        seen.add(o.record.ev);
        if (o.record.ev === 'start' && o.record.mig) mig++;
      }
      // And the CLI's read-back derives what the run itself derived.
      expect((await deriveFromLog(log)).metrics(), `${name}, run ${k}`).toEqual(run.metrics);
    }
    expect(mig).toBeGreaterThan(0);
    expect(LOG_EVENTS.filter((e) => !seen.has(e))).toEqual(['cancel']);
  });
});

describe('the fast path (fastRecord) agrees with LogRecordSchema', () => {
  const ms = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
  const amount = fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }));
  const id = fc.string({ minLength: 1, maxLength: 6 });
  const str = fc.string({ maxLength: 6 });
  const gpus = fc.array(fc.nat(15), { maxLength: 4 });
  const rec = <T extends Record<string, fc.Arbitrary<unknown>>>(ev: string, fields: T, optional: (keyof T)[] = []) =>
    fc.record({ t: ms, ev: fc.constant(ev), ...fields }, { requiredKeys: ['t', 'ev', ...Object.keys(fields).filter((k) => !optional.includes(k))] as never });
  /** One valid record of every type (the run record too: zod alone decides it). */
  const valid: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
    rec('run', { run: str, mode: fc.constantFrom('sim', 'live'), seed: fc.integer(), queue: str, placement: str, nodes: fc.array(fc.record({ id, cpu: amount, memory: amount, gpus: fc.array(fc.record({ model: str, capacity: amount }), { maxLength: 2 }) }), { maxLength: 2 }), hierarchy: fc.record({ routing: str, shards: fc.array(fc.record({ id, nodes: fc.array(id, { maxLength: 3 }) }), { maxLength: 3 }) }) }, ['hierarchy']),
    rec('arrival', { job: id, tenant: str, cpu: amount, mem: amount, gpus: fc.nat(8), milli: amount, prio: fc.double({ noNaN: true, noDefaultInfinity: true }), dur: amount, models: fc.array(str, { maxLength: 2 }), mig: str, context: str, parent: id, depth: fc.integer({ min: 1, max: 9 }) }, ['models', 'mig', 'context', 'parent', 'depth']),
    rec('admit', { job: id }),
    rec('reject', { job: id, reason: str }),
    rec('start', { job: id, node: id, gpus, milli: amount, attempt: fc.integer({ min: 1, max: 9 }), parts: fc.array(fc.record({ node: id, gpus }), { maxLength: 2 }), mig: fc.record({ profile: str, start: fc.nat(7) }) }, ['parts', 'mig']),
    rec('preempt', { job: id, reason: str, lost: amount, left: amount }),
    rec('requeue', { job: id, reason: str, lost: amount, left: amount }, ['reason', 'lost', 'left']),
    rec('finish', { job: id, state: fc.constantFrom(...JOB_STATES), reason: str }, ['reason']),
    rec('cancel', { job: id }),
    rec('node-down', { node: id, jobs: fc.array(id, { maxLength: 3 }) }),
    rec('node-loss', { job: id, node: id, lost: amount, left: amount }, ['left']),
    rec('node-up', { node: id }),
    rec('route', { job: id, shard: id, n: fc.integer({ min: 1, max: 9 }) }),
    rec('bounce', { job: id, shard: id, reason: str }),
    rec('steal', { job: id, from: id, to: id }),
    rec('shard-down', { shard: id }),
    rec('shard-up', { shard: id }),
    rec('end', { events: ms }),
  );
  const NASTY = [-1, 0, 1, 1.5, -0, 2 ** 53, NaN, Infinity, -Infinity, '', 'x', 'succeeded', 'start', null, undefined, true, [], [0], [-1], [1.5], ['a'], [''], [null], {}, { profile: 'p', start: 0 }, { profile: 'p', start: -1 }, { profile: 'p', start: 0, x: 1 }, { node: 'n', gpus: [0] }, [{ node: 'n', gpus: [0] }], [{ node: '', gpus: [] }], [{ node: 'n', gpus: [0], x: 1 }]];
  const KEYS = ['t', 'ev', 'job', 'node', 'gpus', 'milli', 'attempt', 'parts', 'mig', 'tenant', 'cpu', 'mem', 'prio', 'dur', 'models', 'reason', 'state', 'lost', 'left', 'jobs', 'events', 'context', 'parent', 'depth', 'shard', 'n', 'from', 'to', 'hierarchy', 'extra', '__proto__', 'constructor'];
  /** A valid record with one to three edits: a key set to an odd value, a key deleted, a nested value changed, the prototype dropped. */
  const edit = fc.tuple(fc.nat(4), fc.constantFrom(...KEYS), fc.constantFrom(...NASTY), fc.nat(3));
  const mutated = fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([r, edits]) => {
    let v = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    for (const [how, key, val, at] of edits) {
      // (a copy: a later edit of a nested value must not change the shared constant)
      if (how === 0) Object.defineProperty(v, key, { value: structuredClone(val), enumerable: true, writable: true, configurable: true });
      else if (how === 1) delete v[key];
      // (own keys only: editing v.__proto__ would edit Object.prototype)
      else if (how === 2 && Object.hasOwn(v, key) && Array.isArray(v[key])) (v[key] as unknown[])[at] = val;
      // (objects only: JSON gives no array a named key)
      else if (how === 3 && Object.hasOwn(v, key) && typeof v[key] === 'object' && v[key] !== null && !Array.isArray(v[key])) Object.defineProperty(v[key], KEYS[at], { value: val, enumerable: true, writable: true, configurable: true });
      else if (how === 4) v = Object.assign(Object.create(null), v);
    }
    return v;
  });
  const SHAPE_KEYS = new Map(LogRecordSchema.options.map((o) => [o.shape.ev.value as string, new Set(Object.keys(o.shape))]));
  /** The classification zod alone gives (what checkLogValue did before the fast path). */
  const byZod = (v: Record<string, unknown>) => {
    if (!LOG_EVENTS.includes(v.ev as never)) return { kind: 'unknown-ev', ev: v.ev };
    const out = LogRecordSchema.safeParse(v);
    if (out.success) return { kind: 'record', record: out.data };
    const issue = out.error.issues[0];
    return { kind: 'invalid', ev: v.ev, field: issue.path.map(String).join('.') || '(record)', message: issue.message };
  };
  const seen = { fast: 0, zodOnly: 0, rejected: 0 };
  const agree = (v: Record<string, unknown>) => {
    const z = LogRecordSchema.safeParse(v);
    const f = fastRecord(v);
    // What the fast path accepts, zod accepts, with the same value (nothing stripped, nothing added).
    if (f !== undefined) expect(z.success && isDeepStrictEqual(f, z.data)).toBe(true);
    // What zod accepts unchanged (nothing to strip), the fast path accepts too, but the run record
    // and an optional key present as undefined (which JSON cannot write).
    if (z.success && v.ev !== 'run' && isDeepStrictEqual(v, z.data) && !Object.values(v).includes(undefined) && Object.keys(v).every((k) => SHAPE_KEYS.get(v.ev as string)!.has(k))) expect(f, inspect(v)).toBeDefined();
    // And checkLogValue, fast path or not, classifies as zod does, with zod's field and message.
    if (typeof v.ev === 'string') expect(checkLogValue(v)).toEqual(byZod(v));
    if (f !== undefined) seen.fast++;
    else if (z.success) seen.zodOnly++;
    else seen.rejected++;
  };

  it('accepts exactly the records zod accepts unchanged, with the same value, over valid and mutated records', () => {
    fc.assert(fc.property(valid, agree), { numRuns: 3000, seed: 16 });
    fc.assert(fc.property(mutated, agree), { numRuns: 6000, seed: 17 });
    // The generators reach all three outcomes (a fast path never taken would agree vacuously).
    expect(seen.fast).toBeGreaterThan(2000);
    expect(seen.zodOnly).toBeGreaterThan(500);
    expect(seen.rejected).toBeGreaterThan(500);
  });

  it('leaves bad records to zod, so errors keep its field and the line number', () => {
    expect(fastRecord({ ...START, gpus: [0, '1'] })).toBeUndefined();
    expect(fastRecord({ ...START, extra: 1 })).toBeUndefined();
    expect(fastRecord(START)).toBe(START);
    const child = { ...ARRIVAL, parent: 'j0', depth: 1 };
    expect(fastRecord(child)).toBe(child);
    expect(fastRecord({ ...child, depth: 0 })).toBeUndefined();
    const route = { t: 4, ev: 'route', job: 'j1', shard: 's0', n: 1 };
    expect(fastRecord(route)).toBe(route);
    expect(fastRecord({ ...route, n: 1.5 })).toBeUndefined();
    expect(fastRecord({ t: 4, ev: 'steal', job: 'j1', from: 's0', to: '' })).toBeUndefined();
    expect(() => parseLogRecord(line({ ...START, attempt: 0 }), 'x.jsonl:7')).toThrow(/^x\.jsonl:7: 'start' record, field 'attempt': Too small/);
  });
});
