/**
 * Time as the scheduler core sees it: integer ms. The simulated clock reads the engine's time;
 * the wall clock (live mode) reads real time. `wakeAt` asks to be handed a `wake` event at a
 * later time — the core never owns timers.
 */
export interface Clock {
  now(): number;
  wakeAt(time: number): void;
}
