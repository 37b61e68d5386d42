import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.ts';
import { EventQueue } from '../src/engine/event-queue.ts';
import { RngStreams, stream } from '../src/engine/rng.ts';

describe('EventQueue', () => {
  it('pops in (time, priority, seq) order', () => {
    const q = new EventQueue<string>(2); // tiny capacity also exercises growth
    q.push(5, 1, 'c');
    q.push(5, 0, 'b');
    q.push(1, 9, 'a');
    q.push(5, 1, 'd'); // same time and priority as 'c': inserted later, so after it
    q.push(7, 0, 'e');
    const out: string[] = [];
    for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('matches a stable sort on many random keys', () => {
    const r = stream(7, 'heap-test');
    const q = new EventQueue<number>(16);
    const keys: [number, number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(r() * 100);
      const p = Math.floor(r() * 3);
      keys.push([t, p, i]);
      q.push(t, p, i);
    }
    keys.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    const popped: number[] = [];
    for (let x = q.pop(); x !== undefined; x = q.pop()) popped.push(x);
    expect(popped).toEqual(keys.map((k) => k[2]));
  });
});

describe('EventQueue, pushes and pops interleaved', () => {
  it('always pops the least (time, priority, seq) still pending, negative priorities included', () => {
    const r = stream(11, 'heap-mixed');
    const q = new EventQueue<number>(4);
    const pending: [number, number, number][] = [];
    let seq = 0;
    let now = 0;
    for (let step = 0; step < 20000; step++) {
      if (pending.length === 0 || r() < 0.55) {
        // Never before the last popped time, as the engine schedules.
        const t = now + Math.floor(r() * 50);
        const p = Math.floor(r() * 7) - 3;
        pending.push([t, p, seq]);
        q.push(t, p, seq++);
        continue;
      }
      pending.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
      const [t, , want] = pending.shift()!;
      expect(q.peekTime()).toBe(t);
      expect(q.pop()).toBe(want);
      now = t;
      expect(q.size).toBe(pending.length);
    }
  });
});

describe('Engine', () => {
  it('rejects scheduling into the past and non-integer times', () => {
    const e = new Engine<string>(() => {});
    e.schedule(10, 'x');
    e.run();
    expect(e.now).toBe(10);
    expect(() => e.schedule(9, 'late')).toThrow(/into the past: time 9 < now 10/);
    expect(() => e.schedule(10.5, 'frac')).toThrow(/integer/);
    expect(() => e.schedule(10, 'same instant is fine')).not.toThrow();
  });

  it('run({ until }) handles events up to and including until, then stops with now = until', () => {
    const seen: [number, string][] = [];
    const e = new Engine<string>((ev, t) => seen.push([t, ev]));
    e.schedule(5, 'a');
    e.schedule(10, 'b');
    e.schedule(11, 'c');
    e.run({ until: 10 });
    expect(seen).toEqual([
      [5, 'a'],
      [10, 'b'],
    ]);
    expect(e.now).toBe(10);
    expect(e.peek()).toEqual({ time: 11, event: 'c' });
    e.run({ until: 20 });
    expect(seen.at(-1)).toEqual([11, 'c']);
    expect(e.now).toBe(20); // advanced to until although the last event was at 11
  });

  it('flushes once per instant, after all events of that instant and before time advances', () => {
    const log: string[] = [];
    const e: Engine<string> = new Engine<string>(
      (ev, t) => log.push(`${t}:${ev}`),
      () => log.push(`flush@${e.now}`),
    );
    e.schedule(1, 'a');
    e.schedule(1, 'b');
    e.schedule(3, 'c');
    e.run();
    expect(log).toEqual(['1:a', '1:b', 'flush@1', '3:c', 'flush@3']);
  });

  it('events scheduled by a flush at the current instant are handled before time advances', () => {
    const log: string[] = [];
    let once = true;
    const e: Engine<string> = new Engine<string>(
      (ev, t) => log.push(`${t}:${ev}`),
      () => {
        if (once) {
          once = false;
          e.schedule(e.now, 'follow-up');
        }
      },
    );
    e.schedule(2, 'a');
    e.schedule(4, 'b');
    e.run();
    expect(log).toEqual(['2:a', '2:follow-up', '4:b']);
  });

  it('step() handles one event at a time', () => {
    const seen: string[] = [];
    const e = new Engine<string>((ev) => seen.push(ev));
    e.schedule(1, 'a');
    e.schedule(2, 'b');
    expect(e.step()).toBe(true);
    expect(seen).toEqual(['a']);
    expect(e.step()).toBe(true);
    expect(e.step()).toBe(false);
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('named random streams', () => {
  it('a stream depends only on seed and name, so a new consumer does not perturb others', () => {
    const a1 = new RngStreams(42);
    const x = [a1.get('arrivals')(), a1.get('arrivals')()];
    const a2 = new RngStreams(42);
    a2.get('some-new-consumer')(); // draw from another stream first
    a2.get('some-new-consumer')();
    expect([a2.get('arrivals')(), a2.get('arrivals')()]).toEqual(x);
  });

  it('different seeds and names give different numbers', () => {
    expect(stream(1, 'a')()).not.toBe(stream(2, 'a')());
    expect(stream(1, 'a')()).not.toBe(stream(1, 'b')());
  });
});
