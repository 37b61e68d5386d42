import { EventQueue } from './event-queue.ts';

export interface RunOptions {
  /** Stop before any event later than this time (ms); `now` is then advanced to `until`. */
  until?: number;
  /**
   * Asked whenever time is about to advance (after the instant's flush): false stops the run
   * there, with events still pending (the simulator's background node failures).
   */
  keepGoing?: () => boolean;
}

/**
 * Discrete-event engine: integer millisecond time, events ordered by (time, priority, seq).
 *
 * `handler` receives every event; `flush` (optional) is called once the events of one instant
 * are all handled and before time advances — the scheduler uses it to run one scheduling pass per
 * instant instead of one per event. Both may schedule further events (never into the past).
 */
export class Engine<E> {
  private readonly queue: EventQueue<E>;
  private current = 0;
  private dirty = false;
  private steps = 0;

  constructor(
    private readonly handler: (event: E, time: number) => void,
    private readonly flush?: () => void,
    initialCapacity = 1024,
  ) {
    this.queue = new EventQueue<E>(initialCapacity);
  }

  /** Current simulated time in ms. */
  get now(): number {
    return this.current;
  }

  /** Number of events handled so far. */
  get handled(): number {
    return this.steps;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Schedules `event` at absolute time `time` (integer ms, not before now). */
  schedule(time: number, event: E, priority = 0): void {
    if (!Number.isInteger(time)) throw new RangeError(`event time must be an integer number of ms, got ${time}`);
    if (time < this.current) {
      throw new RangeError(`cannot schedule into the past: time ${time} < now ${this.current}`);
    }
    this.queue.push(time, priority, event);
  }

  /** The next event and its time, without removing it. */
  peek(): { time: number; event: E } | undefined {
    const event = this.queue.peek();
    return event === undefined ? undefined : { time: this.queue.peekTime(), event };
  }

  /**
   * Handles the next event; returns false when there is none. If that event is later than now and
   * the current instant has unflushed work, the instant is flushed first.
   */
  step(): boolean {
    if (this.dirty && this.queue.peekTime() > this.current) {
      this.dirty = false;
      this.flush?.();
    }
    const t = this.queue.peekTime();
    const event = this.queue.pop();
    if (event === undefined) return false;
    this.current = t;
    this.steps++;
    this.handler(event, t);
    this.dirty = true;
    return true;
  }

  /** Runs until the queue is empty or the next event lies beyond `until`. */
  run(options: RunOptions = {}): void {
    const until = options.until ?? Infinity;
    if (until < this.current) throw new RangeError(`run until ${until} is before now ${this.current}`);
    const q = this.queue;
    const keepGoing = options.keepGoing;
    for (;;) {
      const t = q.peekTime();
      if (this.dirty && t > this.current) {
        this.dirty = false;
        this.flush?.();
        continue;
      }
      if (t > until || q.size === 0) break;
      if (keepGoing && t > this.current && !keepGoing()) break;
      const event = q.pop() as E;
      this.current = t;
      this.steps++;
      this.handler(event, t);
      this.dirty = true;
    }
    if (until !== Infinity && until > this.current) this.current = until;
  }
}
