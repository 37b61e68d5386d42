import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { MAX_TIME_SEC, MAX_VALUE, maxRowsInMemory } from '../limits.ts';

/** Any problem with a trace or node file: the message names the file (and the line and column when it is about one row). */
export class TraceError extends Error {
  override name = 'TraceError';
}

/** A trace file that cannot be used as a whole: missing, a directory, empty, too large. */
export class TraceFileError extends TraceError {
  override name = 'TraceFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A malformed trace row: names the file, the line and the column. */
export class TraceRowError extends TraceError {
  override name = 'TraceRowError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string,
    readonly problem: string,
  ) {
    super(`${file}:${line}: column '${column}': ${problem}`);
  }
}

/** Decimal numbers only: `Number()` would also read hex, octal, binary and `Infinity`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Throws TraceFileError unless `file` exists and is a regular file (not a directory, device or pipe). */
export function checkTraceFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceFileError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new TraceFileError(file, 'is a directory, not a file');
  if (!st.isFile()) throw new TraceFileError(file, 'not a regular file');
}

export interface BadRowPolicy {
  /** `stop`: throw the first TraceRowError. `skip`: count it, keep going. */
  readonly onBadRow: 'stop' | 'skip';
}

export interface LoadReport {
  rows: number;
  skipped: number;
  /** The first few skipped-row errors, for the report. */
  errors: TraceRowError[];
}

/** Typed field readers for one CSV record; each throws TraceRowError naming the column. */
export class Row {
  constructor(
    readonly file: string,
    readonly line: number,
    private readonly rec: Record<string, string>,
  ) {}

  has(col: string): boolean {
    const v = this.rec[col];
    return v !== undefined && v.trim() !== '';
  }

  str(col: string): string {
    const v = this.rec[col];
    if (v === undefined) throw new TraceRowError(this.file, this.line, col, 'missing column');
    return v.trim();
  }

  int(col: string, opts: { min?: number; max?: number; optional?: number } = {}): number {
    if (!this.has(col) && opts.optional !== undefined) return opts.optional;
    const s = this.str(col);
    if (!/^[+-]?\d+$/.test(s)) throw new TraceRowError(this.file, this.line, col, `expected an integer, got '${s}'`);
    const n = Number(s);
    // Beyond 2^53 the digits would silently round to another integer.
    if (!Number.isSafeInteger(n)) throw new TraceRowError(this.file, this.line, col, `integer out of range: '${s}'`);
    return this.range(col, n, opts);
  }

  num(col: string, opts: { min?: number; max?: number; optional?: number } = {}): number {
    if (!this.has(col) && opts.optional !== undefined) return opts.optional;
    const s = this.str(col);
    const n = Number(s);
    if (!DECIMAL.test(s) || !Number.isFinite(n)) {
      throw new TraceRowError(this.file, this.line, col, `expected a number, got '${s}'`);
    }
    return this.range(col, n, opts);
  }

  /** A time in seconds, 0 ≤ t ≤ MAX_TIME_SEC (so that its ms are a safe integer). */
  seconds(col: string, opts: { optional?: number } = {}): number {
    return this.num(col, { min: 0, max: MAX_TIME_SEC, ...opts });
  }

  /** Bounds: the given ones, and ±MAX_VALUE where none is given. */
  private range(col: string, n: number, opts: { min?: number; max?: number }): number {
    const min = opts.min ?? -MAX_VALUE;
    const max = opts.max ?? MAX_VALUE;
    if (n < min) throw new TraceRowError(this.file, this.line, col, `must be ≥ ${min}, got ${n}`);
    if (n > max) throw new TraceRowError(this.file, this.line, col, `must be ≤ ${max}, got ${n}`);
    return n;
  }
}

/**
 * Streams a CSV file with a header row through csv-parse (the text is never held whole in
 * memory) and maps each record with `map`. Bad rows stop the load or are skipped and counted.
 * A missing file, a directory, a file without data rows, or one with more rows than a run could
 * hold in memory (`maxRows`, default from src/limits.ts) is a TraceFileError. A UTF-8 byte order
 * mark is ignored.
 */
export async function readCsvRows<T>(
  file: string,
  map: (row: Row) => T | undefined,
  opts: BadRowPolicy & { delimiter?: string; columns?: string[]; limit?: number; maxRows?: { rows: number; why: string } },
): Promise<{ items: T[]; report: LoadReport }> {
  checkTraceFile(file);
  const maxRows = opts.maxRows ?? maxRowsInMemory();
  const items: T[] = [];
  const report: LoadReport = { rows: 0, skipped: 0, errors: [] };
  const source = createReadStream(file);
  const parser = parse({
    columns: opts.columns ?? true,
    delimiter: opts.delimiter ?? ',',
    bom: true,
    // A row is a few hundred bytes; without a bound one unterminated quote buffers the whole file.
    max_record_size: 1 << 20,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    trim: false,
  });
  // pipe() does not forward a read error: without this it is an unhandled 'error' event.
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (opts.limit !== undefined && report.rows >= opts.limit) break;
      if (report.rows >= maxRows.rows) throw new TraceFileError(file, `more than ${maxRows.rows} rows: ${maxRows.why}`);
      report.rows++;
      try {
        const v = map(new Row(file, info.lines, record));
        if (v !== undefined) items.push(v);
      } catch (e) {
        if (!(e instanceof TraceRowError) || opts.onBadRow === 'stop') throw e;
        report.skipped++;
        if (report.errors.length < 10) report.errors.push(e);
      }
    }
  } catch (e) {
    if (e instanceof TraceError) throw e;
    // csv-parse's own errors (unclosed quote, …) or a read error: the file cannot be parsed
    // further, whatever onBadRow says. Report them in the same shape.
    const err = e as Error & { lines?: number; code?: string };
    throw new TraceRowError(file, err.lines ?? 0, '(row)', `${err.code ? `${err.code}: ` : ''}${err.message}`);
  } finally {
    source.destroy();
  }
  if (report.rows === 0) throw new TraceFileError(file, opts.columns ? 'no data rows (the file is empty)' : 'no data rows (empty, or a header only)');
  return { items, report };
}
