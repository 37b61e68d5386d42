import { isWhole, wholeDigits, writeWhole } from './decimal.ts';
import type { OutFile } from './out-file.ts';

const CHUNK = 1 << 20;

/** A cell that must be quoted (csv.ts `NEEDS_QUOTE`): a comma, a quote or `\n`. */
const NEEDS_QUOTE = /[",\n]/;

/**
 * CSV text written as bytes into a 1 MiB buffer and out to a file a buffer at a time: the same
 * bytes as csv.ts formats (`csvRecord`), without a string per cell or per row. A million-job
 * run's jobs.csv and timeline.csv made about 2 KB of strings per job that way. Numbers as
 * `String(n)` writes them (whole numbers and hundredths digit by digit), strings quoted as csv.ts
 * quotes them.
 * `bytes()` instead of a file keeps them in memory (tests).
 */
export class CsvBytes {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private readonly kept: Buffer[] | undefined;

  /** `file`: where the bytes go (closed by `close`); none keeps them for `bytes()`. */
  constructor(private readonly file?: OutFile) {
    if (file === undefined) this.kept = [];
  }

  /** A number cell: `String(n)`. */
  num(n: number): void {
    if (this.pos + 32 > CHUNK) this.flush();
    if (isWhole(n)) {
      this.pos = writeWhole(this.buf, this.pos, n, wholeDigits(n));
      return;
    }
    // Hundredths (timeline percentages, rounded to 2 places): n is the double nearest k/100, and
    // below 2³¹/100 the only decimal that short within half an ulp of n is k/100 itself, so
    // String(n) is k/100 written out, trailing zeros dropped.
    const k = Math.round(n * 100);
    if (k > 0 && k < 0x7fffffff && k / 100 === n) {
      const whole = (k / 100) | 0;
      const cents = k - whole * 100;
      this.pos = writeWhole(this.buf, this.pos, whole, wholeDigits(whole));
      if (cents === 0) return; // not reached: a whole n took the path above
      this.buf[this.pos++] = 0x2e; // .
      this.buf[this.pos++] = 0x30 + ((cents / 10) | 0);
      if (cents % 10 !== 0) this.buf[this.pos++] = 0x30 + (cents % 10);
      return;
    }
    this.ascii(String(n));
  }

  /** A string cell, quoted when it holds a comma, a quote or `\n` (`""` for a quote within). */
  str(s: string): void {
    if (this.pos + s.length > CHUNK) this.flush();
    if (s.length <= CHUNK) {
      const start = this.pos;
      let p = start;
      const b = this.buf;
      let plain = true;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 0x2c || c === 0x22 || c === 0x0a || c > 0x7f) {
          plain = false;
          break;
        }
        b[p++] = c;
      }
      if (plain) {
        this.pos = p;
        return;
      }
    }
    this.text(NEEDS_QUOTE.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  }

  /** A byte: `,` or `\n`. */
  byte(c: number): void {
    if (this.pos >= CHUNK) this.flush();
    this.buf[this.pos++] = c;
  }

  /** Text as it is (a header line already formatted), UTF-8. */
  text(s: string): void {
    if (this.pos + s.length * 3 > CHUNK) {
      this.flush();
      if (s.length * 3 > CHUNK) {
        this.out(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    this.flush();
    this.file?.close();
  }

  /** Everything written, when no file was given (call after `close`). */
  bytes(): Buffer {
    return Buffer.concat(this.kept ?? []);
  }

  private ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.out(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private out(b: Buffer): void {
    if (this.file !== undefined) this.file.write(b);
    else this.kept!.push(Buffer.from(b));
  }
}
