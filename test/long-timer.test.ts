import { afterEach, describe, expect, it, vi } from 'vitest';
import { after, MAX_TIMER_MS } from '../src/live/long-timer.ts';

const DAY = 86_400_000;

describe('timers past 24.8 days', () => {
  afterEach(() => vi.useRealTimers());

  it('a plain setTimeout fires a 30-day delay at once (why after() exists)', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    setTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(10);
    warn.mockRestore();
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('after() fires a 30-day delay at 30 days, once', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    after(30 * DAY, fn);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_MS - 2);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('clear() cancels it in any step; short and negative delays behave as setTimeout', () => {
    vi.useFakeTimers();
    const long = vi.fn();
    const t = after(60 * DAY, long);
    vi.advanceTimersByTime(40 * DAY); // past the first step
    t.clear();
    vi.advanceTimersByTime(40 * DAY);
    expect(long).not.toHaveBeenCalled();
    const short = vi.fn();
    const past = vi.fn();
    after(250, short);
    after(-5, past);
    vi.advanceTimersByTime(0);
    expect(past).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(249);
    expect(short).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(short).toHaveBeenCalledTimes(1);
  });
});
