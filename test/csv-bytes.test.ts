import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvBytes } from '../src/output/csv-bytes.ts';
import { csvRecord } from '../src/output/csv.ts';

/** Writes rows of cells through CsvBytes as the jobs/timeline writers do; the bytes as hex (short failure messages). */
function written(rows: (string | number)[][]): string {
  const out = new CsvBytes();
  for (const r of rows) {
    r.forEach((c, i) => {
      if (i > 0) out.byte(0x2c);
      if (typeof c === 'number') out.num(c);
      else out.str(c);
    });
    out.byte(0x0a);
  }
  out.close();
  return out.bytes().toString('hex');
}

/** The bytes a file gets when csv.ts's text is written to it (UTF-8; a lone surrogate becomes U+FFFD). */
const reference = (rows: (string | number)[][]) => Buffer.from(rows.map(csvRecord).join(''), 'utf8').toString('hex');

const cell = fc.oneof(
  fc.integer(),
  fc.nat(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 53, 1e21, 0.1, 12.35, 0.07, 21474836.47, 21474836.48, Number.NaN, Infinity),
  // Hundredths, as timeline.csv's percentages are rounded: written digit by digit.
  fc.integer({ min: -100, max: 2 ** 31 + 100 }).map((k) => k / 100),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => Math.round(x * 100) / 100),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('', ',', '"', '\n', '\r', 'a"b', 'é', '\ud800', '0;1|2'),
);

describe('CsvBytes', () => {
  it('writes the bytes csvRecord formats, for any numbers and strings', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 5 }), (rows) => {
        expect(written(rows)).toBe(reference(rows));
      }),
      { numRuns: 3000, seed: 21 },
    );
  });

  it('carries rows across its 1 MiB buffer and a cell longer than the buffer', () => {
    const rows: (string | number)[][] = [];
    // 60,000 rows of ~25 bytes ≈ 1.5 MiB, then a 1.2 MiB cell with commas (quoted).
    for (let i = 0; i < 60_000; i++) rows.push([`job-${i}`, i * 1000, i / 7]);
    rows.push(['x,'.repeat(600_000), 1]);
    rows.push(['é'.repeat(400_000), 2]);
    expect(written(rows)).toBe(reference(rows));
  });
});
