import type { Clock } from '../scheduler/clock.ts';
import { after, type LongTimer } from './long-timer.ts';

/**
 * Live-mode clock: scenario ms since `start`, i.e. wall-clock ms elapsed × `timeScale`, as an
 * integer that never decreases. `wakeAt` hands a `wake` to `onWake` when that scenario time is
 * reached (a real timer); asking for a past time wakes at once, as the core expects.
 */
export class WallClock implements Clock {
  private t0 = performance.now();
  private last = 0;
  private readonly timers = new Set<LongTimer>();
  /** While set, `now()` returns this time (one scheduling instant, see `freeze`). */
  private frozen: number | undefined;

  constructor(
    readonly timeScale: number,
    private readonly onWake: () => void,
  ) {
    if (!(timeScale > 0)) throw new Error(`time scale must be positive, got ${timeScale}`);
  }

  /** Restarts scenario time at 0 (call once, when the run begins). */
  start(): void {
    this.t0 = performance.now();
    this.last = 0;
  }

  /**
   * Holds `now()` at its current value until `thaw()`: the live driver handles a batch of events
   * and the scheduling pass after it as one instant, as the engine does in simulation, so every
   * record of the batch carries one time and a policy sees the same time throughout a pass.
   */
  freeze(): void {
    this.frozen = this.now();
  }

  thaw(): void {
    this.frozen = undefined;
  }

  now(): number {
    if (this.frozen !== undefined) return this.frozen;
    const t = Math.floor((performance.now() - this.t0) * this.timeScale);
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** Wall-clock ms until scenario time `time` (0 if it has passed). */
  delayTo(time: number): number {
    return Math.max(0, (time - this.now()) / this.timeScale);
  }

  wakeAt(time: number): void {
    const h = after(Math.ceil(this.delayTo(time)), () => {
      this.timers.delete(h);
      // Timers may fire a fraction of a ms early: wait out the rest rather than wake too soon.
      if (this.now() < time) this.wakeAt(time);
      else this.onWake();
    });
    this.timers.add(h);
  }

  /** Cancels pending wake timers (shutdown). */
  dispose(): void {
    for (const h of this.timers) h.clear();
    this.timers.clear();
  }
}
