import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRowError } from '../src/trace/csv-rows.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { loadGpulabJobs, loadGpulabNodes } from '../src/trace/gpulab-csv.ts';
import { loadTraceJobs, speedUpArrivals } from '../src/trace/load-trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'gpulab-csv-'));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const HEADER = 'id,tenant,submit_s,duration_s,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_models,priority';

describe('gpulab job CSV', () => {
  it('parses rows into jobs (seconds → ms) and sorts them by submit time, stably', async () => {
    const f = file(
      'ok.csv',
      [HEADER, 'b,t1,2.5,10,1000,2048,1,500,A100|H100,3', 'a,t2,0,1.2345,0,0,0,,,', 'c,t1,2.5,1,1000,1,2,1000,,'].join('\n'),
    );
    const { jobs, report } = await loadGpulabJobs(f, { onBadRow: 'stop' });
    expect(report).toEqual({ rows: 3, skipped: 0, errors: [] });
    expect(jobs.map((j) => j.id)).toEqual(['a', 'b', 'c']);
    expect(jobs[1]).toMatchObject({ submit: 2500, duration: 10000, milli: 500, models: ['A100', 'H100'], priority: 3 });
    expect(jobs[0]).toMatchObject({ duration: 1235, gpus: 0, milli: 0, priority: 0 }); // 1.2345 s → 1235 ms
  });

  it('stops at a bad row naming file, line and column', async () => {
    const f = file('bad.csv', [HEADER, 'a,t,0,1,1000,1,1,1000,,', 'b,t,zero,1,1000,1,1,1000,,'].join('\n'));
    const err = await loadGpulabJobs(f, { onBadRow: 'stop' }).catch((e) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect(err.message).toBe(`${f}:3: column 'submit_s': expected a number, got 'zero'`);
  });

  it('skip mode counts bad rows, keeps the good ones and reports each problem', async () => {
    const f = file(
      'skip.csv',
      [HEADER, 'a,t,0,1,1000,1,1,1000,,', 'b,t,0,1,1000,1,1,1500,,', 'a,t,0,1,1000,1,1,1000,,', 'c,t,1,1,1000,1,1,250,,'].join(
        '\n',
      ),
    );
    const { jobs, report } = await loadGpulabJobs(f, { onBadRow: 'skip' });
    expect(jobs.map((j) => j.id)).toEqual(['a', 'c']);
    expect(report.rows).toBe(4);
    expect(report.skipped).toBe(2);
    expect(report.errors.map((e) => `${e.line}:${e.column}`)).toEqual(['3:gpu_milli', '4:id']);
  });

  it('reads node CSVs and rejects GPU nodes without a model', async () => {
    const ok = file('nodes.csv', 'id,cpu_milli,memory_mib,num_gpu,gpu_model\nn0,8000,1024,2,T4\nc0,4000,512,0,\n');
    const nodes = await loadGpulabNodes(ok);
    expect(nodes.map((n) => [n.id, n.gpus.length])).toEqual([
      ['n0', 2],
      ['c0', 0],
    ]);
    const bad = file('nodes-bad.csv', 'id,cpu_milli,memory_mib,num_gpu,gpu_model\nn0,8000,1024,2,\n');
    await expect(loadGpulabNodes(bad)).rejects.toThrow(`${bad}:2: column 'gpu_model': required when num_gpu > 0`);
  });
});

describe('arrivalSpeedup on a trace workload', () => {
  it('divides the gaps between submit times from the first submit, keeping durations and order', async () => {
    // Submits 10 s, 12.5 s, 70 s; ×4 → 10 + 0, 10 + 2.5/4 = 10.625 s, 10 + 60/4 = 25 s.
    const f = file('speed.csv', [HEADER, 'a,t,10,5,1000,1,1,1000,,', 'b,t,12.5,6,1000,1,1,1000,,', 'c,t,70,7,1000,1,1,1000,,'].join('\n'));
    const w = { kind: 'trace', format: 'gpulab', path: f, onBadRow: 'stop', arrivalSpeedup: 4 } as const;
    const { jobs, notes } = await loadTraceJobs(w, dir);
    expect(jobs.map((j) => [j.id, j.submit, j.duration])).toEqual([
      ['a', 10_000, 5000],
      ['b', 10_625, 6000],
      ['c', 25_000, 7000],
    ]);
    expect(notes).toEqual(['arrivals 4× as dense (gaps between submit times ÷ 4; durations unchanged)']);
    // 0.5 spreads them out instead; rounding to the ms: 2.5 s / 0.3 = 8333.33 ms → 8333.
    expect(speedUpArrivals(jobs.slice(0, 2).map((j, i) => ({ ...j, submit: [0, 2500][i] })), 0.3).map((j) => j.submit)).toEqual([0, 8333]);
    expect(() => speedUpArrivals(jobs, 0)).toThrow(RangeError);
  });

  it('is a scenario field validated by the schema', () => {
    const text = `name: s\ncluster: { nodes: [{ prefix: n, count: 1, cpu: 1000, memory: 1024, gpus: [{ count: 1, model: A }] }] }\nworkload: { kind: trace, path: x.csv, arrivalSpeedup: -2 }\npolicies: [{ queue: fifo, placement: first-fit }]\n`;
    expect(() => parseScenario(text, 's.yaml')).toThrow(/s\.yaml: invalid scenario\n {2}- workload\.arrivalSpeedup: /);
  });
});
