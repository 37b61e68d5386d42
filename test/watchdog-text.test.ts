import { describe, expect, it } from 'vitest';
import { writeCallEnd } from '../src/wiring/watchdog.ts';

/** The end of the call description the policy watchdog reads back (UTF-8 in shared memory). */
describe("the watchdog's call description", () => {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const written = (size: number, prefix: string, job: string) => {
    const text = new Uint8Array(size);
    const from = enc.encodeInto(prefix, text).written;
    return dec.decode(text.slice(0, writeCallEnd(text, from, job, enc)));
  };

  it('names the job after the prefix, whatever its characters', () => {
    for (const job of ['j0000042', 'job-7', 'täst-1', 'ジョブ9', 'a"b\\c', 'x'.repeat(40)]) {
      expect(written(1024, "placement policy 'p' in place(", job)).toBe(`placement policy 'p' in place(job ${job})`);
    }
    expect(written(1024, "queue policy 'q' in order(", '')).toBe("queue policy 'q' in order()");
  });

  it('writes over what a longer id before it left, and cuts an id too long for the buffer', () => {
    const text = new Uint8Array(64);
    const from = enc.encodeInto('p(', text).written;
    writeCallEnd(text, from, 'a-much-longer-job-id-0001', enc);
    expect(dec.decode(text.slice(0, writeCallEnd(text, from, 'j1', enc)))).toBe('p(job j1)');
    const long = 'y'.repeat(100);
    const cut = dec.decode(text.slice(0, writeCallEnd(text, from, long, enc)));
    expect(cut).toBe(`p(job ${long}`.slice(0, 63) + ')');
    expect(written(64, 'p(', `ü${long}`)).toBe(`p(job ü${long}`.slice(0, 62) + ')'); // ü takes two bytes
  });
});
