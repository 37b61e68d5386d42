import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_STRINGIFY_OPTIONS, csvRecord, toCsv, type CsvCell } from '../src/output/csv.ts';

/** Strings that hit every quoting rule: commas, quotes, CR, LF, empty, unicode. */
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '\t', '=', '-') }),
  fc.constant(''),
);
const cell: fc.Arbitrary<CsvCell> = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(undefined),
  fc.constant(null),
);

describe('CSV formatting', () => {
  it('is byte for byte what csv-stringify writes, on generated tables', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 20 }), (header, rows) => {
        expect(toCsv(header, rows)).toBe(stringify([header, ...rows], CSV_STRINGIFY_OPTIONS));
      }),
      { numRuns: 500 },
    );
  });

  it('quotes a field with a comma, quote or LF and doubles its quotes; a lone CR stays bare as in csv-stringify', () => {
    expect(csvRecord(['a,b', 'say "hi"', 'x\ny', 'c\rd', 'plain', '', 1.5, true, undefined])).toBe(
      '"a,b","say ""hi""","x\ny",c\rd,plain,,1.5,true,\n',
    );
  });
});
