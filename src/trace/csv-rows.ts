import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

/** A malformed trace row: names the file, the line and the column. */
export class TraceRowError extends Error {
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
    if (!/^-?\d+$/.test(s)) throw new TraceRowError(this.file, this.line, col, `expected an integer, got '${s}'`);
    const n = Number(s);
    // Beyond 2^53 the digits would silently round to another integer.
    if (!Number.isSafeInteger(n)) throw new TraceRowError(this.file, this.line, col, `integer out of range: '${s}'`);
    return this.range(col, n, opts);
  }

  num(col: string, opts: { min?: number; max?: number; optional?: number } = {}): number {
    if (!this.has(col) && opts.optional !== undefined) return opts.optional;
    const s = this.str(col);
    const n = Number(s);
    if (s === '' || !Number.isFinite(n)) {
      throw new TraceRowError(this.file, this.line, col, `expected a number, got '${s}'`);
    }
    return this.range(col, n, opts);
  }

  private range(col: string, n: number, opts: { min?: number; max?: number }): number {
    if (opts.min !== undefined && n < opts.min) {
      throw new TraceRowError(this.file, this.line, col, `must be ≥ ${opts.min}, got ${n}`);
    }
    if (opts.max !== undefined && n > opts.max) {
      throw new TraceRowError(this.file, this.line, col, `must be ≤ ${opts.max}, got ${n}`);
    }
    return n;
  }
}

/**
 * Streams a CSV file with a header row through csv-parse (the text is never held whole in
 * memory) and maps each record with `map`. Bad rows stop the load or are skipped and counted.
 */
export async function readCsvRows<T>(
  file: string,
  map: (row: Row) => T | undefined,
  opts: BadRowPolicy & { delimiter?: string; columns?: string[]; limit?: number },
): Promise<{ items: T[]; report: LoadReport }> {
  const items: T[] = [];
  const report: LoadReport = { rows: 0, skipped: 0, errors: [] };
  const parser = createReadStream(file).pipe(
    parse({
      columns: opts.columns ?? true,
      delimiter: opts.delimiter ?? ',',
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      trim: false,
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (opts.limit !== undefined && report.rows >= opts.limit) break;
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
    if (e instanceof TraceRowError) throw e;
    // csv-parse's own errors (unclosed quote, …) or a read error: the file cannot be parsed
    // further, whatever onBadRow says. Report them in the same shape.
    const err = e as Error & { lines?: number; code?: string };
    throw new TraceRowError(file, err.lines ?? 0, '(row)', `${err.code ? `${err.code}: ` : ''}${err.message}`);
  }
  return { items, report };
}
