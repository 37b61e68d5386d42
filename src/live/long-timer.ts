/** The longest delay Node's timers hold (2³¹ − 1 ms, 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending call from `after`; `clear` cancels it (idempotent). */
export interface LongTimer {
  clear(): void;
}

/**
 * Calls `fn` once, `ms` wall-clock ms from now, whatever the length: a delay past `MAX_TIMER_MS`
 * is waited out in steps of at most that (a plain setTimeout would fire it at once). Negative or
 * NaN delays count as 0.
 */
export function after(ms: number, fn: () => void): LongTimer {
  let h: NodeJS.Timeout;
  const arm = (left: number): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    h = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()), step);
  };
  arm(ms > 0 ? ms : 0);
  return { clear: () => clearTimeout(h) };
}
