import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRowError } from '../src/trace/csv-rows.ts';
import { isolatedThroughput, loadGavelThroughputs, loadGavelTrace, type Throughputs } from '../src/trace/gavel.ts';
import { traceDir } from '../src/trace/resolve.ts';

const DIR = traceDir();
const GAVEL = join(DIR, 'gavel');
const haveGavel = existsSync(join(GAVEL, 'simulation_throughputs.json'));

function tmp(name: string, text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'gpulab-gavel-'));
  const f = join(d, name);
  writeFileSync(f, text);
  return f;
}

// A hand-made throughput table: v100 ResNet-18 at 1 GPU = 10 steps/s, at 4 GPUs = 32 steps/s.
const handTable: Throughputs = new Map([
  [
    'v100',
    new Map([
      ['ResNet-18 (batch size 32)', new Map([[1, 10], [4, 32]])],
      ['A3C', new Map([[1, 0]])],
    ]),
  ],
]);

describe('gavel trace loader (hand-written rows)', () => {
  it('7-field rows: duration = total_steps / isolated throughput', async () => {
    const f = tmp(
      'vc1.trace',
      [
        // 5000 steps at 10 steps/s = 500 s; arrival 12.5 s
        'ResNet-18 (batch size 32)\tpython3 main.py\t--num_steps\t1\t5000\t12.500000\t1',
        // 6400 steps at 32 steps/s (4 GPUs) = 200 s; arrival 3 s → sorted first
        'ResNet-18 (batch size 32)\tpython3 main.py\t--num_steps\t1\t6400\t3.000000\t4',
        // 8 GPUs: no measured figure, extrapolated from 4 GPUs: 32·8/4 = 64 steps/s → 1280/64 = 20 s
        'ResNet-18 (batch size 32)\tpython3 main.py\t--num_steps\t1\t1280\t20.000000\t8',
      ].join('\n') + '\n',
    );
    const { jobs, report } = await loadGavelTrace(f, handTable);
    expect(report.rows).toBe(3);
    expect(report.extrapolated).toBe(1);
    expect(jobs.map((j) => [j.submit, j.duration, j.gpus, j.milli, j.tenant])).toEqual([
      [3000, 200_000, 4, 1000, 'vc1'],
      [12_500, 500_000, 1, 1000, 'vc1'],
      [20_000, 20_000, 8, 1000, 'vc1'],
    ]);
  });

  it('10-field rows are detected by field count', async () => {
    const f = tmp('phys.trace', 'ResNet-18 (batch size 32)\tpython3 main.py\timage_classification\t--num_minibatches\t1\t100\t1\t1\t-1.000000\t7\n');
    const { jobs } = await loadGavelTrace(f, handTable);
    // 100 steps / 10 steps/s = 10 s, arrival field is the 10th column (7 s)
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ submit: 7000, duration: 10_000, gpus: 1, jobType: 'ResNet-18 (batch size 32)', totalSteps: 100 });
  });

  it('a bad row names file, line and column; skip counts it', async () => {
    const f = tmp('bad.trace', ['ResNet-18 (batch size 32)\tcmd\t-n\t1\t100\t0\t1', 'ResNet-18 (batch size 32)\tcmd\t-n\t1\tlots\t0\t1', 'A3C\tcmd\t-n\t1\t100\t0\t1'].join('\n'));
    const err = await loadGavelTrace(f, handTable).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect((err as TraceRowError).message).toBe(`${f}:2: column 'total_steps': expected an integer, got 'lots'`);
    const { jobs, report } = await loadGavelTrace(f, handTable, { onBadRow: 'skip' });
    // line 2 bad integer, line 3: A3C has throughput 0 (does not run) → both skipped
    expect(jobs).toHaveLength(1);
    expect(report.skipped).toBe(2);
    expect(report.errors[1].column).toBe('job_type');
  });

  it('onMissingThroughput: error refuses extrapolation', async () => {
    const f = tmp('x.trace', 'ResNet-18 (batch size 32)\tcmd\t-n\t1\t100\t0\t2\n');
    await expect(loadGavelTrace(f, handTable, { onMissingThroughput: 'error' })).rejects.toThrow(/x\.trace:1: column 'scale_factor'/);
  });

  it('isolatedThroughput picks the largest measured scale below', () => {
    // scale 16 → from 4: 32·16/4 = 128
    expect(isolatedThroughput(handTable, 'v100', 'ResNet-18 (batch size 32)', 16)).toEqual({ stepsPerSec: 128, extrapolated: true });
    expect(isolatedThroughput(handTable, 'v100', 'ResNet-18 (batch size 32)', 1)).toEqual({ stepsPerSec: 10, extrapolated: false });
    expect(isolatedThroughput(handTable, 'v100', 'unknown', 1)).toBeUndefined();
  });
});

describe.skipIf(!haveGavel)(`gavel traces on the public files (${GAVEL}; skipped when absent)`, () => {
  it('throughput file: six worker types; a real figure matches the JSON', async () => {
    const t = await loadGavelThroughputs(join(GAVEL, 'simulation_throughputs.json'));
    expect([...t.keys()].sort()).toEqual(['k80', 'k80_unconsolidated', 'p100', 'p100_unconsolidated', 'v100', 'v100_unconsolidated']);
    expect(t.get('k80')!.get('ResNet-18 (batch size 16)')!.get(1)).toBeCloseTo(4.795294551566172, 12);
  });

  it('msr seed=0: 15 VC traces, 15,264 jobs; each duration = steps / v100 throughput', async () => {
    const t = await loadGavelThroughputs(join(GAVEL, 'simulation_throughputs.json'));
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(GAVEL, 'msr/seed=0')).filter((f) => f.endsWith('.trace'));
    expect(files).toHaveLength(15);
    let total = 0;
    let oneGpu = 0;
    for (const f of files) {
      const { jobs, report } = await loadGavelTrace(join(GAVEL, 'msr/seed=0', f), t);
      expect(report.skipped).toBe(0);
      total += jobs.length;
      oneGpu += jobs.filter((j) => j.gpus === 1).length;
      for (const j of jobs.slice(0, 5)) {
        const tp = isolatedThroughput(t, 'v100', j.jobType, j.gpus)!;
        expect(j.duration).toBe(Math.max(1, Math.round((j.totalSteps / tp.stepsPerSec) * 1000)));
      }
    }
    expect(total).toBe(15_264);
    expect(oneGpu).toBe(10_480);
  });
});

describe.skipIf(!haveGavel)('gavel as a scenario trace format', () => {
  it('runs through the scheduler core: every job of the first 50 rows completes', async () => {
    const { loadScenario } = await import('../src/scenario/load.ts');
    const { runScenario } = await import('../src/scenario/run.ts');
    const file = join(import.meta.dirname, '../scenarios/gavel-replay.yaml');
    const scn = loadScenario(file);
    if (scn.workload.kind !== 'trace') throw new Error('gavel-replay changed shape');
    const s = await runScenario({ ...scn, workload: { ...scn.workload, limit: 50 }, policies: scn.policies.slice(0, 1) }, { file, dryRun: true });
    expect(s.runs).toHaveLength(1);
    expect(s.runs[0].metrics.completed).toBe(50);
  });
});
