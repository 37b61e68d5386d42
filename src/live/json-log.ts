/**
 * Structured logs: one JSON object per line, `{ts, level, msg, …fields}`, with bound fields
 * (`child`) for context such as run and job ids. Time and the output sink are injected, so a
 * logger is deterministic under test. Fields named ts, level or msg are refused rather than
 * silently overwriting the envelope.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['ts', 'level', 'msg']);

export type Fields = Readonly<Record<string, unknown>>;

export interface JsonLogOptions {
  /** Receives each line including its trailing newline. */
  readonly write: (line: string) => void;
  /** Lines below this level are dropped. Default `info`. */
  readonly level?: Level;
  /** Wall time of a line (ISO-8601 in output). */
  readonly now?: () => Date;
}

export class JsonLogger {
  private readonly min: number;
  constructor(
    private readonly o: JsonLogOptions,
    private readonly bound: Fields = {},
  ) {
    this.min = RANK[o.level ?? 'info'];
    checkFields(bound);
  }

  /** A logger whose lines also carry `fields` (later bindings win over earlier ones). */
  child(fields: Fields): JsonLogger {
    return new JsonLogger(this.o, { ...this.bound, ...fields });
  }

  log(level: Level, msg: string, fields: Fields = {}): void {
    if (RANK[level] < this.min) return;
    checkFields(fields);
    const ts = (this.o.now ?? (() => new Date()))().toISOString();
    // Values JSON cannot hold (bigint, errors) are turned into strings instead of throwing.
    const line = JSON.stringify({ ts, level, msg, ...this.bound, ...fields }, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Error) return { name: v.name, message: v.message };
      return v;
    });
    this.o.write(line + '\n');
  }

  debug(msg: string, fields?: Fields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log('error', msg, fields);
  }
}

function checkFields(f: Fields): void {
  for (const k of Object.keys(f)) if (RESERVED.has(k)) throw new Error(`log field '${k}' is reserved`);
}
