/**
 * A set of job ids that grows to millions cheaply: the scheduler core's ids of ended jobs
 * (`forgetEnded`). Ids of the form `<prefix><digits>` (`j000123`, `job-42`: the synthetic
 * workloads' and most traces' ids) are bits in a bitset per prefix and digit count, so a member
 * costs about one bit, not a hash-table entry; any other id, or one whose bitset would be too
 * sparse, goes to a plain `Set`. Membership is exact: `j01` and `j1` are different ids (different
 * digit counts), as are `j1` and `k1`.
 */
export class IdSet {
  /** Bitsets by key `<prefix>\u0000<digit count>`. */
  private readonly dense = new Map<string, DenseBits>();
  private readonly rest = new Set<string>();
  /** The last id's bitset and where its digits begin (ids in a run share one prefix). */
  private last: DenseBits | undefined;
  private count = 0;
  /** The number `locate` found (a field, so that a lookup allocates nothing). */
  private value = 0;

  get size(): number {
    return this.count;
  }

  /** @internal Members kept in the plain Set (ids of another form, or too sparse for bits). */
  get spilled(): number {
    return this.rest.size;
  }

  has(id: string): boolean {
    if (this.count === 0) return false;
    const bits = this.locate(id, false);
    if (bits !== undefined && bits.has(this.value)) return true;
    return this.rest.size > 0 && this.rest.has(id);
  }

  add(id: string): this {
    if (this.has(id)) return this;
    this.count++;
    const bits = this.locate(id, true);
    if (!bits || !bits.add(this.value)) this.rest.add(id);
    return this;
  }

  /**
   * The bitset an id belongs to, its number left in `value`; undefined for an id of another form
   * (or whose bitset does not exist yet, unless `make`).
   */
  private locate(id: string, make: boolean): DenseBits | undefined {
    const l = this.last;
    if (l !== undefined && id.length === l.prefix.length + l.digits && id.startsWith(l.prefix)) {
      const v = digitsValue(id, l.prefix.length);
      if (v >= 0) {
        this.value = v;
        return l;
      }
    }
    let p = id.length;
    while (p > 0 && isDigit(id.charCodeAt(p - 1))) p--;
    const digits = id.length - p;
    // Up to 9 digits: the number stays a small integer (and a bitset that large is refused anyway).
    if (digits === 0 || digits > 9) return undefined;
    const prefix = id.slice(0, p);
    const key = `${prefix}\u0000${digits}`;
    let bits = this.dense.get(key);
    if (!bits) {
      if (!make) return undefined;
      bits = new DenseBits(prefix, digits);
      this.dense.set(key, bits);
    }
    this.last = bits;
    this.value = digitsValue(id, p);
    return bits;
  }
}

/**
 * Bits for the numbers of one prefix and digit count, over a window of words that starts where the
 * first number is (unpadded ids of six digits start at 100,000, not 0) and grows either way while
 * it stays dense enough.
 */
class DenseBits {
  private words = new Uint32Array(32);
  /** The word index of words[0]: the bits cover numbers 32·base … 32·(base + words.length) − 1. */
  private base = -1;
  private members = 0;

  constructor(
    readonly prefix: string,
    readonly digits: number,
  ) {}

  has(v: number): boolean {
    const w = (v >>> 5) - this.base;
    return this.base >= 0 && w >= 0 && w < this.words.length && (this.words[w] & (1 << (v & 31))) !== 0;
  }

  /**
   * Sets bit `v`; false (nothing set) when the numbers' span would pass 128 bits per member (plus
   * 64 Ki bits of slack). The rule is on the span, not on the doubled array: a hierarchy's shard
   * holds every 32nd id or so (32 bits per member), which the doubling alone would take past the
   * limit and into the plain Set (a string hashed per lookup, and more bytes than the bits: a Set
   * entry and its string cost some 50 bytes, the array at most 2 × 128 bits).
   */
  add(v: number): boolean {
    const vw = v >>> 5;
    if (this.base < 0) this.base = Math.max(0, vw - 8); // a little room below the first number
    const lo = this.base;
    const hi = lo + this.words.length;
    if (vw < lo || vw >= hi) {
      const needLo = Math.min(lo, vw);
      const needHi = Math.max(hi, vw + 1);
      if ((needHi - needLo) * 32 > 128 * (this.members + 1) + 65_536) return false;
      let n = this.words.length;
      while (n < needHi - needLo) n *= 2;
      // Growing down leaves the new room below (ids ending out of order keep going down).
      const base = vw < lo ? Math.max(0, needHi - n) : lo;
      const grown = new Uint32Array(n);
      grown.set(this.words, lo - base);
      this.words = grown;
      this.base = base;
    }
    this.words[vw - this.base] |= 1 << (v & 31);
    this.members++;
    return true;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The number written by `id`'s characters from `from` to its end, or -1 when one is not a digit. */
function digitsValue(id: string, from: number): number {
  let v = 0;
  for (let i = from; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
