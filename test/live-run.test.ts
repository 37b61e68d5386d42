import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLive } from '../src/live/run-live.ts';
import { loadScenario } from '../src/scenario/load.ts';

describe('live run of a scenario', () => {
  const out = mkdtempSync(join(tmpdir(), 'gpulab-live-run-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the simulator files plus measured work, compares with its simulated twin, leaves no process', async () => {
    const file = 'test/fixtures/live-tiny.yaml';
    const s = await runLive(loadScenario(file), { file, out, timeScale: 2 });
    const dir = join(out, 'fifo+best-fit', 'seed-1');
    expect(s.dir).toBe(dir);
    expect(s.live.jobs).toBe(4);
    expect(s.live.completed).toBe(4);
    expect(s.predicted.completed).toBe(4);
    expect(s.strays).toEqual([]);
    expect(s.latency.cold.n + s.latency.warm.n).toBe(4);
    expect(s.layers).toContain('env-scrubbed');
    // Same files as a simulated run, plus the live ones.
    const records = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ ev: 'run', mode: 'live', queue: 'fifo', placement: 'best-fit' });
    expect(records.at(-1)!.ev).toBe('end');
    const jobsCsv = readFileSync(join(dir, 'jobs.csv'), 'utf8').trim().split('\n');
    expect(jobsCsv).toHaveLength(1 + 4);
    const liveCsv = readFileSync(join(dir, 'live-jobs.csv'), 'utf8').trim().split('\n');
    expect(liveCsv[0]).toContain('flop_per_s');
    const mm = liveCsv.slice(1).filter((l) => l.includes(',matmul,'));
    // every matmul job: n = 128, 0.2 GFLOP → ceil(2e8 / 4,194,304) = 48 steps · 4,194,304 = 201,326,592 FLOP
    for (const l of mm) expect(l).toContain(',201326592,');
    expect(readFileSync(join(dir, 'metrics.prom'), 'utf8')).toMatch(/gpulab_live_makespan_seconds\{source="predicted"\} \d/);
    const live = JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8'));
    expect(live.predicted.makespanMs).toBeGreaterThan(0);
    // each optional isolation layer: applied (in `layers`) or off with its reason
    for (const layer of ['read-only-root', 'caps-dropped', 'uts-ns']) {
      expect(live.layers.includes(layer) || live.layersUnavailable.some((u: string) => u.startsWith(layer))).toBe(true);
    }
    expect(readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n')[0]).toMatch(/"msg":"isolation"/);
  });
});
