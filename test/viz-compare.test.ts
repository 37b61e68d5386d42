import { describe, expect, it } from 'vitest';
import { judge, type Group, type RunRow } from '../viz/src/compare.ts';
import { fmtTick, timeTicks } from '../viz/src/format.ts';

/** A comparison row with only the metrics `judge` reads (the model is not used). */
const group = (key: string, m: Record<string, number>): Group => ({
  key,
  color: '#000',
  dash: '',
  runs: [{ run: key, label: key, seed: 1, metrics: { jobs: 1464, completed: 1464, started: 1464, unfinished: 0, rejected: 0, ...m }, fromSummary: true, digest: '' } as unknown as RunRow],
});
const col = (key: string, better: 'low' | 'high', covers?: 'completed' | 'started' | 'all-ended') => ({ key, title: key, better, kind: 'ms' as const, covers });

describe('viewer comparison: honest best marks', () => {
  it('a policy that finished fewer jobs is not best on the JCT of its survivors', () => {
    // fifo finished 268 of 1,464 jobs: its p95 (10 s) covers only the survivors and is left out;
    // of the two that finished all 1,464, drf's 40 s beats las's 50 s.
    const gs = [group('fifo', { completed: 268, unfinished: 1196, jctP95Ms: 10_000 }), group('las', { jctP95Ms: 50_000 }), group('drf', { jctP95Ms: 40_000 })];
    const j = judge(gs, col('jctP95Ms', 'low', 'completed'));
    expect(j.mark).toEqual(['excluded', '', 'best']);
    expect(j.why[0]).toContain('covers 268 of 1,464 jobs');
    expect(j.compared).toBe(2);
  });

  it('a run cut off at its horizon has no makespan to compare', () => {
    const gs = [group('a', { unfinished: 3, makespanMs: 3_600_000 }), group('b', { makespanMs: 7_200_000 }), group('c', { makespanMs: 7_500_000 })];
    expect(judge(gs, col('makespanMs', 'low', 'all-ended')).mark).toEqual(['excluded', 'best', '']);
  });

  it('values equal at the shown precision tie; everyone equal marks nothing', () => {
    // 1h00m00.2s and 1h00m00.4s both show as 1h00m: a tie, not a win.
    const tie = [group('a', { waitMeanMs: 3_600_200 }), group('b', { waitMeanMs: 3_600_400 }), group('c', { waitMeanMs: 4_000_000 })];
    expect(judge(tie, col('waitMeanMs', 'low', 'started')).mark).toEqual(['tie', 'tie', '']);
    const same = [group('a', { waitMeanMs: 5 }), group('b', { waitMeanMs: 5 })];
    expect(judge(same, col('waitMeanMs', 'low', 'started')).mark).toEqual(['', '']);
  });

  it('fewer than two comparable rows: no mark', () => {
    const gs = [group('a', { completed: 10, jctMeanMs: 1 }), group('b', { jctMeanMs: 9 })];
    expect(judge(gs, col('jctMeanMs', 'low', 'completed')).mark).toEqual(['excluded', '']);
  });
});

describe('viewer time axis', () => {
  it('picks whole steps and labels them to the step, so zoomed labels never repeat', () => {
    // 3h53m00s to 3h54m00s in at most 7 ticks: 10 s steps (60 s / 10 s = 6 ≤ 7).
    const a = 3 * 3_600_000 + 53 * 60_000;
    const { ticks, step } = timeTicks(a, a + 60_000, 7);
    expect(step).toBe(10_000);
    const labels = ticks.map((t) => fmtTick(t, step));
    expect(labels).toEqual(['3h53m00s', '3h53m10s', '3h53m20s', '3h53m30s', '3h53m40s', '3h53m50s', '3h54m00s']);
    expect(new Set(labels).size).toBe(labels.length);
    // A day and a half in 6 ticks: 6 h steps (36 h / 6 h = 6), labelled d/h.
    const d = timeTicks(0, 36 * 3_600_000, 6);
    expect(d.step).toBe(6 * 3_600_000);
    expect(d.ticks.map((t) => fmtTick(t, d.step))).toEqual(['0', '6h', '12h', '18h', '1d00h', '1d06h', '1d12h']);
  });
});
