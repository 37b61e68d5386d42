import { describe, expect, it } from 'vitest';
import { RecordTable } from '../viz/src/run-view.ts';

const enc = new TextEncoder();

/** One delta's records for `lines` (JSON texts) written from byte `from` on: their columns and bytes. */
function delta(strings: string[], lines: string[], from: number) {
  const bytes = enc.encode(lines.map((l) => l + '\n').join(''));
  const lineStart: number[] = [];
  const lineEnd: number[] = [];
  let at = from;
  for (const l of lines) {
    lineStart.push(at);
    at += enc.encode(l).length;
    lineEnd.push(at);
    at += 1;
  }
  const ev = lines.map((l) => {
    const e = (JSON.parse(l) as { ev: string }).ev;
    let c = strings.indexOf(e);
    if (c < 0) c = strings.push(e) - 1;
    return c;
  });
  const records = {
    t: Float64Array.from(lines.map((l) => (JSON.parse(l) as { t: number }).t)),
    ev: Uint32Array.from(ev),
    known: new Uint8Array(lines.length).fill(1),
    notes: [] as [number, string][],
    lineStart: Float64Array.from(lineStart),
    lineEnd: Float64Array.from(lineEnd),
  };
  return [records, bytes, from] as const;
}

describe('viewer record table (the log kept as the chunks the deltas brought)', () => {
  it('returns each record line from the chunk that holds it, across several deltas', () => {
    const strings: string[] = [];
    const r = new RecordTable(strings);
    const a = ['{"t":0,"ev":"run"}', '{"t":1,"ev":"arrival","job":"j1"}'];
    const b = ['{"t":5,"ev":"start","job":"j1","note":"é"}'];
    const c = ['{"t":9,"ev":"finish","job":"j1"}', '{"t":9,"ev":"end"}'];
    r.append(...delta(strings, a, 0));
    const bFrom = enc.encode(a.map((l) => l + '\n').join('')).length;
    r.append(...delta(strings, b, bFrom));
    const cFrom = bFrom + enc.encode(b[0] + '\n').length;
    r.append(...delta(strings, c, cFrom));
    expect(r.length).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => r.line(i))).toEqual([...a, ...b, ...c]);
    expect(r.get(2)).toMatchObject({ t: 5, ev: 'start', line: b[0], known: true });
    expect(r.types).toEqual(['run', 'arrival', 'start', 'finish', 'end']);
  });

  it('replaces what it kept from a delta\'s first byte on when bytes arrive again from an earlier offset', () => {
    const strings: string[] = [];
    const r = new RecordTable(strings);
    const a = ['{"t":0,"ev":"run"}', '{"t":1,"ev":"arrival","job":"j1"}'];
    r.append(...delta(strings, a, 0));
    // The same log re-read from the second line on, now with a different second line.
    const from = enc.encode(a[0] + '\n').length;
    const again = ['{"t":1,"ev":"arrival","job":"j2"}'];
    r.append(...delta(strings, again, from));
    expect(r.line(0)).toBe(a[0]);
    expect(r.line(2)).toBe(again[0]);
  });
});
