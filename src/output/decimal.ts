/**
 * Whole numbers written as decimal ASCII into a byte buffer: what `String(n)` (and JSON) writes
 * for an integer 0 ≤ n ≤ 2⁵³ − 1, without making the string. Times in ms pass 2³¹ after 25 days
 * of simulated time, so an int32-only fast path missed most of a long run's times.
 */

/** Whether `writeWhole` takes `n` (-0 included: it writes "0", as String(-0) does). Pure. */
export function isWhole(n: number): boolean {
  return n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n;
}

/** How many digits `n` (`isWhole`) has. Pure. */
export function wholeDigits(n: number): number {
  let digits = 1;
  if (n < 0x80000000) for (let x = n | 0; x >= 10; x = (x / 10) | 0) digits++;
  else for (let p = 10; p <= n; p *= 10) digits++;
  return digits;
}

/** Writes `n` (`isWhole`, `digits` = `wholeDigits(n)`) at `buf[pos…]`; returns the position after it. */
export function writeWhole(buf: Uint8Array, pos: number, n: number, digits: number): number {
  let at = pos + digits;
  if (n < 0x80000000) {
    // int32 arithmetic: the common case.
    let x = n | 0;
    do {
      const q = (x / 10) | 0;
      buf[--at] = 0x30 + (x - q * 10);
      x = q;
    } while (x > 0);
    return pos + digits;
  }
  // Above 2³¹ in doubles: q·10 and x − q·10 are exact below 2⁵³; x / 10 may round up to the next
  // whole number (then the remainder is negative, and is mended).
  let x = n;
  while (at > pos) {
    let q = Math.floor(x / 10);
    let r = x - q * 10;
    if (r < 0) {
      q -= 1;
      r += 10;
    }
    buf[--at] = 0x30 + r;
    x = q;
  }
  return pos + digits;
}
