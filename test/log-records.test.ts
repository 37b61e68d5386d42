import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobState } from '../src/jobs/lifecycle.ts';
import { checkLogLine, JOB_STATES, LOG_EVENTS, LogRecordError, parseLogRecord, type LogNodeSpec } from '../src/log/records.ts';
import { deriveFromLog } from '../src/output/read-log.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

// Compile-time: the bottom module's copies of JobState and NodeSpec agree with the originals both
// ways (tsc fails here when one side gains a field or a state the other lacks).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statesAgree: Same<JobState, (typeof JOB_STATES)[number]> = true;
const nodeSpecsAgree: Same<Required<NodeSpec>['gpus'][number], Required<LogNodeSpec>['gpus'][number]> & (NodeSpec extends LogNodeSpec ? true : false) & (LogNodeSpec extends NodeSpec ? true : false) = true;

const line = (r: object) => JSON.stringify(r);
const ARRIVAL = { t: 0, ev: 'arrival', job: 'j1', tenant: 'a', cpu: 1000, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 100 };
const START = { t: 5, ev: 'start', job: 'j1', node: 'n0', gpus: [0], milli: 1000, attempt: 1 };

describe('log record schema', () => {
  it('mirrors JobState and NodeSpec (checked by tsc above)', () => {
    expect([statesAgree, nodeSpecsAgree]).toEqual([true, true]);
    expect(LOG_EVENTS).toEqual(['run', 'arrival', 'admit', 'reject', 'start', 'preempt', 'requeue', 'finish', 'cancel', 'node-down', 'node-loss', 'node-up', 'end']);
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
    [line({ t: 3, ev: 'cancel', job: 'j1' }), { kind: 'record' }],
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
    // bounded queue; mig: MIG grants on start records.
    for (const { file, scn } of [small('scenarios/node-failures.yaml', 800, 0), small('scenarios/quotas.yaml', 300, 2, 20), small('scenarios/mig.yaml', 150, 1)]) {
      const s = await runScenario(scn, { file, out: join(dir, scn.name) });
      const log = join(dir, scn.name, s.runs[0].run, 'events.jsonl');
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      for (const [i, text] of lines.entries()) {
        const o = checkLogLine(text);
        if (o.kind !== 'record') throw new Error(`${log}:${i + 1}: ${JSON.stringify(o)}`);
        expect(o.record).toEqual(JSON.parse(text));
        seen.add(o.record.ev);
        if (o.record.ev === 'start' && o.record.mig) mig++;
      }
      // And the CLI's read-back derives what the run itself derived.
      expect((await deriveFromLog(log)).metrics()).toEqual(s.runs[0].metrics);
    }
    expect(mig).toBeGreaterThan(0);
    expect(LOG_EVENTS.filter((e) => !seen.has(e))).toEqual(['cancel']);
  });
});
