import { isWhole, wholeDigits, writeWhole } from './decimal.ts';

/**
 * A log record's JSON line written straight into a byte buffer: the same bytes as
 * `JSON.stringify(record) + '\n'` in UTF-8, without building the line as a string first (a
 * million-job run makes tens of millions of records; their lines were a third of its garbage).
 *
 * The writer follows the record's own key order (as JSON.stringify does) instead of a fixed
 * order per record kind, so the bytes, and the run's digest, stay the same whichever way a
 * producer builds its records, and a new record kind or field needs no change here. What it writes
 * itself: plain objects, arrays, strings of printable ASCII without `"` or `\`, finite numbers,
 * booleans, null; a key whose value is undefined, a function or a symbol is left out, as in
 * JSON.stringify; a string that needs escapes or is not ASCII is written as JSON.stringify writes
 * it. A record holding anything else (an object with `toJSON` or another prototype, a bigint …) is
 * refused (-1) and left to the caller's JSON.stringify. Kept equal to JSON.stringify by a property
 * test over every record kind (test/record-encode.test.ts).
 */
export class RecordEncoder {
  /** Encoded keys, `"key":` as bytes, by key. */
  private readonly keys = new Map<string, Uint8Array>();
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;

  /**
   * Writes `record`'s line at `buf[pos…]`; returns the position after its `\n`, or -1 when the line
   * does not fit before `buf.length` or holds a value refused above (nothing after `pos` is then
   * meaningful). Bytes before `pos` are left as they are.
   */
  encode(record: object, buf: Buffer, pos: number): number {
    this.buf = buf;
    this.pos = pos;
    this.end = buf.length;
    if (!this.plain(record) || !this.object(record) || this.pos >= this.end) return -1;
    buf[this.pos++] = 0x0a;
    return this.pos;
  }

  /** Writes one value; false when out of room or refused. */
  private value(v: unknown): boolean {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.string(v);
      case 'boolean':
        return this.ascii(v ? 'true' : 'false');
      case 'object':
        if (v === null) return this.ascii('null');
        if (Array.isArray(v)) return this.array(v);
        return this.plain(v) && this.object(v);
      default:
        return false;
    }
  }

  /** An object literal's or JSON.parse's (or a null-prototype one) without `toJSON`. */
  private plain(v: object): boolean {
    const proto = Object.getPrototypeOf(v);
    return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
  }

  private object(o: object): boolean {
    if (this.pos >= this.end) return false;
    this.buf[this.pos++] = 0x7b; // {
    let first = true;
    for (const k in o) {
      // hasOwnProperty.call, not Object.hasOwn: V8 answers the former from the for-in's enum
      // cache without a lookup (about 20 % off the encoder's time; README, Performance).
      if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
      const v = (o as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      if (!first) {
        if (this.pos >= this.end) return false;
        this.buf[this.pos++] = 0x2c; // ,
      }
      first = false;
      if (!this.key(k) || !this.value(v)) return false;
    }
    if (this.pos >= this.end) return false;
    this.buf[this.pos++] = 0x7d; // }
    return true;
  }

  private array(a: readonly unknown[]): boolean {
    if (this.pos >= this.end) return false;
    this.buf[this.pos++] = 0x5b; // [
    for (let i = 0; i < a.length; i++) {
      if (i > 0) {
        if (this.pos >= this.end) return false;
        this.buf[this.pos++] = 0x2c;
      }
      const v = a[i];
      // JSON.stringify writes null for an item it cannot write (undefined, a function, a symbol).
      if (!(v === undefined || typeof v === 'function' || typeof v === 'symbol' ? this.ascii('null') : this.value(v))) return false;
    }
    if (this.pos >= this.end) return false;
    this.buf[this.pos++] = 0x5d; // ]
    return true;
  }

  private key(k: string): boolean {
    let bytes = this.keys.get(k);
    if (bytes === undefined) {
      bytes = Buffer.from(JSON.stringify(k) + ':', 'utf8');
      if (this.keys.size < 4096) this.keys.set(k, bytes); // a bound on the cache, not on correctness
    }
    const n = bytes.length;
    if (this.pos + n > this.end) return false;
    // A loop: TypedArray#set costs more than it copies for a key's few bytes.
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i];
    this.pos = p;
    return true;
  }

  private number(n: number): boolean {
    // A whole number (times, counts, most fields): digits written here.
    if (isWhole(n)) {
      const digits = wholeDigits(n);
      if (this.pos + digits > this.end) return false;
      this.pos = writeWhole(this.buf, this.pos, n, digits);
      return true;
    }
    // JSON's number is ECMAScript's Number::toString for finite numbers, null otherwise (-0 took the path above: "0").
    return this.ascii(Number.isFinite(n) ? String(n) : 'null');
  }

  private string(s: string): boolean {
    const start = this.pos;
    if (start + s.length + 2 > this.end) return this.stringified(s);
    const b = this.buf;
    let p = start;
    b[p++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      // Printable ASCII other than `"` and `\` is written as is by JSON.stringify; the rest is its.
      if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) {
        this.pos = start;
        return this.stringified(s);
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
    return true;
  }

  /** Writes `JSON.stringify(s)`: a string needing escapes or beyond ASCII. */
  private stringified(s: string): boolean {
    const text = JSON.stringify(s);
    if (this.pos + text.length * 3 > this.end) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (this.pos + bytes > this.end) return false;
    }
    this.pos += this.buf.write(text, this.pos, 'utf8');
    return true;
  }

  /** ASCII text (JSON literals and numbers). */
  private ascii(text: string): boolean {
    if (this.pos + text.length > this.end) return false;
    for (let i = 0; i < text.length; i++) this.buf[this.pos++] = text.charCodeAt(i);
    return true;
  }
}
