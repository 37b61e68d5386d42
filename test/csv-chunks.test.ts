import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { csvChunks, toCsv } from '../src/output/csv.ts';

describe('CSV written in pieces', () => {
  it('concatenates to the text csv-stringify gives for the whole table, quoting included', () => {
    // 20,000 rows: three pieces of 8,192 records (the header is the first record of the first).
    const rows = Array.from({ length: 20_000 }, (_, i) => [i, `t,${i % 7}`, i % 3 === 0 ? undefined : `q"${i}`, i % 2 === 0]);
    const header = ['n', 'name,with comma', 'q', 'b'];
    const whole = stringify([header, ...rows], { record_delimiter: '\n', cast: { boolean: (v) => String(v), number: (v) => String(v) } });
    const pieces = [...csvChunks(header, rows)];
    expect(pieces.length).toBe(3);
    expect(pieces.join('')).toBe(whole);
    expect(toCsv(header, rows)).toBe(whole);
  });

  it('writes the header alone for an empty table', () => {
    expect(toCsv(['a', 'b'], [])).toBe('a,b\n');
  });
});
