import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { jobsCsv, timelineCsv } from '../src/output/csv.ts';
import { deriveFromLog } from '../src/output/read-log.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario, parseScenario } from '../src/scenario/load.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { loadGpulabJobs } from '../src/trace/gpulab-csv.ts';
import { synthesize } from '../src/workload/synthetic.ts';

const run = promisify(execFile);
const quick = loadScenario('scenarios/quickstart.yaml');
const w = quick.workload.kind === 'synthetic' ? quick.workload : (() => { throw new Error('quickstart must be synthetic'); })();

describe('synthetic workload', () => {
  const jobs = synthesize({ ...w, jobs: 20_000 }, 7);

  it('is deterministic per seed and differs across seeds', () => {
    // ids are zero-padded to the job count's width, so compare everything else
    const noId = (js: typeof jobs) => js.map(({ id: _id, ...rest }) => rest);
    expect(noId(synthesize({ ...w, jobs: 50 }, 7))).toEqual(noId(jobs.slice(0, 50)));
    expect(noId(synthesize({ ...w, jobs: 50 }, 8))).not.toEqual(noId(jobs.slice(0, 50)));
  });

  it('has Poisson arrivals with the configured mean gap, in submit order', () => {
    for (let i = 1; i < jobs.length; i++) expect(jobs[i].submit).toBeGreaterThanOrEqual(jobs[i - 1].submit);
    const meanGap = jobs.at(-1)!.submit / (jobs.length - 1) / 1000;
    expect(meanGap).toBeGreaterThan(w.meanInterarrivalSec * 0.97);
    expect(meanGap).toBeLessThan(w.meanInterarrivalSec * 1.03);
  });

  it('draws tenants by share and log-normal durations around the median', () => {
    // shares 3 : 2 : 1 → expected fractions 0.5, 0.333, 0.167
    const frac = (t: string) => jobs.filter((j) => j.tenant === t).length / jobs.length;
    expect(frac('vision')).toBeCloseTo(0.5, 1);
    expect(frac('nlp')).toBeCloseTo(1 / 3, 1);
    const sorted = jobs.map((j) => j.duration / 1000).sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    expect(median / (w.duration as { medianSec: number }).medianSec).toBeGreaterThan(0.95);
    expect(median / (w.duration as { medianSec: number }).medianSec).toBeLessThan(1.05);
  });

  it('changing the demand mix leaves arrival times and durations unchanged (independent streams)', () => {
    const other = synthesize({ ...w, jobs: 200, demands: [{ weight: 1, gpus: 2, milli: 1000, cpu: 1, memory: 1 }] }, 7);
    expect(other.map((j) => [j.submit, j.duration])).toEqual(jobs.slice(0, 200).map((j) => [j.submit, j.duration]));
  });
});

describe('event log as the single source of truth', () => {
  it('jobs.csv and timeline.csv rebuilt from events.jsonl on disk equal the ones written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-log-'));
    if (!('nodes' in quick.cluster)) throw new Error('quickstart uses node groups');
    const writer = new RunWriter(dir);
    simulate({
      run: 'x',
      seed: 1,
      nodes: expandNodeGroups(quick.cluster.nodes),
      jobs: synthesize({ ...w, jobs: 400 }, 1),
      queue: queuePolicyFactory('fifo')({}),
      placement: placementPolicyFactory('best-fit')({}),
      log: writer,
    });
    writer.close();
    const d = await deriveFromLog(join(dir, 'events.jsonl'));
    expect(jobsCsv(d.jobs.values())).toBe(readFileSync(join(dir, 'jobs.csv'), 'utf8'));
    expect(timelineCsv(d.timeline, d.gpuCapacity)).toBe(readFileSync(join(dir, 'timeline.csv'), 'utf8'));
    expect(d.metrics()).toEqual(writer.deriver.metrics());
    expect(d.metrics().completed).toBe(400);
  });

  it('a synthetic workload exported as a gpulab CSV and replayed as a trace gives the same event log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-export-'));
    const csv = join(dir, 'trace.csv');
    await run('npx', ['tsx', 'src/cli/export-trace.ts', 'scenarios/quickstart.yaml', '--out', csv, '--jobs', '250']);
    const { jobs } = await loadGpulabJobs(csv, { onBadRow: 'stop' });
    const cl = quick.cluster;
    if (!('nodes' in cl)) throw new Error('quickstart uses node groups');
    const digest = (js: Iterable<import('../src/jobs/job.ts').JobSpec>) => {
      const wr = new RunWriter();
      simulate({
        run: 'same',
        seed: 1,
        nodes: expandNodeGroups(cl.nodes),
        jobs: js,
        queue: queuePolicyFactory('fifo')({}),
        placement: placementPolicyFactory('first-fit')({}),
        log: wr,
      });
      return wr.close();
    };
    expect(digest(jobs)).toBe(digest(synthesize({ ...w, jobs: 250 }, 1)));
  }, 30_000);

  it('a trace scenario resolves its path relative to the scenario file', () => {
    const s = parseScenario(readFileSync('scenarios/trace-replay.yaml', 'utf8'), 'scenarios/trace-replay.yaml');
    expect(s.workload.kind).toBe('trace');
  });
});
