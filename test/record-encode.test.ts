import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATES, LOG_EVENTS, type LogRecord } from '../src/log/records.ts';
import { RecordEncoder } from '../src/output/record-encode.ts';
import { RunWriter } from '../src/output/run-writer.ts';

/** What the encoder must reproduce: the line RunWriter wrote before it existed. */
const reference = (r: object) => JSON.stringify(r) + '\n';

function encoded(r: object, room = 1 << 16): string | undefined {
  const buf = Buffer.alloc(room);
  const end = new RecordEncoder().encode(r, buf, 0);
  return end < 0 ? undefined : buf.toString('utf8', 0, end);
}

// Values as producers make them and as they should never be: escapes, non-ASCII, lone surrogates,
// floats, -0, huge and negative numbers, non-finite numbers (JSON null).
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('', '"', '\\', '\n', '\u007f', '\u0080', 'é', '\ud800', 'j-00042', 'node-loss'),
);
const num = fc.oneof(
  fc.nat(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e21, 1e-7, 0.1, Number.NaN, Infinity, -Infinity),
);
const gpus = fc.array(fc.oneof(fc.nat(15), num), { maxLength: 4 });
const rest = { depthSize: 'small' as const, maxKeys: 3, values: [text, num, fc.boolean(), fc.constant(null), fc.constant(undefined)] };

/**
 * Per record kind, its fields (schema order) with the optional ones marked; a kind without an
 * entry (a kind added later) gets generated fields of every JSON type.
 */
const FIELDS: Partial<Record<LogRecord['ev'], [Record<string, fc.Arbitrary<unknown>>, string[]]>> = {
  run: [{ run: text, mode: fc.constantFrom('sim', 'live'), seed: fc.integer(), queue: text, placement: text, nodes: fc.array(fc.record({ id: text, cpu: num, memory: num, gpus: fc.array(fc.record({ model: text, capacity: num, mig: fc.boolean() }, { requiredKeys: ['model', 'capacity'] }), { maxLength: 2 }), labels: fc.dictionary(text, text, { maxKeys: 2 }) }, { requiredKeys: ['id', 'cpu', 'memory', 'gpus'] }), { maxLength: 3 }) }, []],
  arrival: [{ job: text, tenant: text, cpu: num, mem: num, gpus: fc.nat(8), milli: num, models: fc.array(text, { maxLength: 2 }), prio: num, dur: num, mig: text, context: text, parent: text, depth: fc.nat(9) }, ['models', 'mig', 'context', 'parent', 'depth']],
  admit: [{ job: text }, []],
  reject: [{ job: text, reason: text }, []],
  start: [{ job: text, node: text, gpus, milli: num, attempt: fc.nat(9), parts: fc.array(fc.record({ node: text, gpus }), { maxLength: 2 }), mig: fc.record({ profile: text, start: fc.nat(7) }), context: text, warm: fc.boolean(), overhead: num }, ['parts', 'mig', 'context', 'warm', 'overhead']],
  preempt: [{ job: text, reason: text, lost: num, left: num }, []],
  requeue: [{ job: text, reason: text, lost: num, left: num }, ['reason', 'lost', 'left']],
  finish: [{ job: text, state: fc.constantFrom(...JOB_STATES), reason: fc.oneof(text, fc.constant(undefined)) }, ['reason']],
  cancel: [{ job: text }, []],
  'node-down': [{ node: text, jobs: fc.array(text, { maxLength: 3 }) }, []],
  'node-loss': [{ job: text, node: text, lost: num, left: num }, ['left']],
  'node-up': [{ node: text }, []],
  end: [{ events: fc.nat() }, []],
};

function recordOf(ev: string): fc.Arbitrary<Record<string, unknown>> {
  const known = FIELDS[ev as LogRecord['ev']];
  const body = known
    ? fc.record(known[0], { requiredKeys: Object.keys(known[0]).filter((k) => !known[1].includes(k)) })
    : fc.dictionary(fc.string({ maxLength: 5 }), fc.anything(rest), { maxKeys: 5 });
  return fc.tuple(fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)), body).map(([t, b]) => ({ t, ev, ...b }));
}

/** Any record kind, its keys in schema order or shuffled, some set to undefined (as `{ reason: d.reason }` does). */
const anyRecord = fc
  .tuple(fc.constantFrom(...LOG_EVENTS).chain(recordOf), fc.boolean(), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([r, shuffle, holes]) => {
    const keys = Object.keys(r);
    if (shuffle) keys.reverse();
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = r[k];
    const optional = keys.filter((k) => k !== 't' && k !== 'ev');
    for (const h of holes) if (optional.length > 0) out[optional[h % optional.length]] = undefined;
    return out;
  });

describe('RecordEncoder', () => {
  it('writes the bytes of JSON.stringify(record) + newline for every record kind, key order and value', () => {
    fc.assert(
      fc.property(anyRecord, (r) => {
        expect(encoded(r)).toBe(reference(r));
      }),
      { numRuns: 4000, seed: 13 },
    );
  });

  it('has a generator for every record kind the schema knows', () => {
    const generated = new Set(fc.sample(anyRecord, { numRuns: 2000, seed: 5 }).map((r) => r.ev));
    expect([...generated].sort()).toEqual([...LOG_EVENTS].sort());
  });

  it('refuses a line that does not fit, and writes it whole once the room is one byte more', () => {
    fc.assert(
      fc.property(anyRecord, (r) => {
        const bytes = Buffer.byteLength(reference(r));
        expect(encoded(r, bytes - 1)).toBeUndefined();
        expect(encoded(r, bytes)).toBe(reference(r));
      }),
      { numRuns: 1000, seed: 14 },
    );
  });

  it('leaves the bytes before its position alone and writes after them', () => {
    const buf = Buffer.alloc(64, 0x2a);
    const end = new RecordEncoder().encode({ t: 7, ev: 'admit', job: 'j1' }, buf, 10);
    // '{"t":7,"ev":"admit","job":"j1"}\n' is 32 bytes: 10 + 32 = 42.
    expect(end).toBe(42);
    expect(buf.toString('utf8', 0, end)).toBe('*'.repeat(10) + '{"t":7,"ev":"admit","job":"j1"}\n');
  });

  it('refuses values JSON.stringify would treat specially (toJSON, class instances, bigint)', () => {
    expect(encoded({ t: 1, ev: 'x', at: new Date(0) })).toBeUndefined();
    expect(encoded({ t: 1, ev: 'x', m: new Map() })).toBeUndefined();
    expect(encoded({ t: 1, ev: 'x', n: 1n })).toBeUndefined();
  });
});

describe('RunWriter with the encoder', () => {
  it('writes and hashes the lines JSON.stringify gives, across buffer flushes and for refused records', () => {
    const w = new RunWriter(undefined, { keepLines: true });
    const records: object[] = [{ t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: [{ id: 'n0', cpu: 1, memory: 1, gpus: [{ model: 'A100', capacity: 1000 }] }] }];
    // 40,000 jobs × 4 records ≈ 3 MiB: the 1 MiB buffer flushes a few times.
    for (let i = 0; i < 40_000; i++) {
      const job = `job-${i}${i % 997 === 0 ? '-é"' : ''}`;
      records.push({ t: i, ev: 'arrival', job, tenant: 'a', cpu: 1, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 1.5 });
      records.push({ t: i, ev: 'admit', job });
      records.push({ t: i, ev: 'start', job, node: 'n0', gpus: [0], milli: 1000, attempt: 1 });
      records.push({ t: i + 1, ev: 'finish', job, state: 'succeeded', reason: undefined });
    }
    records.push({ t: 40_001, ev: 'end', events: records.length });
    for (const r of records) w.append(r as LogRecord);
    const digest = w.close();
    const lines = records.map(reference);
    expect(w.lines).toEqual(lines);
    expect(digest).toBe(createHash('sha256').update(lines.join('')).digest('hex'));
  });
});
