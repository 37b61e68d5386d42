import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import { loadTiresiasCluster, loadTiresiasJobs } from '../src/trace/tiresias.ts';
import { traceDir } from '../src/trace/resolve.ts';

const TIRESIAS = join(traceDir(), 'tiresias');
const haveTiresias = existsSync(join(TIRESIAS, '60_job.csv'));

describe('issue scenarios parse', () => {
  it.each(['fair-share', 'quotas', 'tiresias-60', 'tiresias-60-small', 'mig'])('scenarios/%s.yaml', (name) => {
    expect(loadScenario(`scenarios/${name}.yaml`).name).toBe(name);
  });

  it.each([
    // field, bad value, message part
    ['a MIG flag on a GPU without a MIG table', '{ count: 1, model: T4, mig: true }', /gpus.*mig.*needs a MIG model/s],
    ['an unknown MIG profile', null, /mig/],
  ])('names the field for %s', (_what, gpu, msg) => {
    const text = `name: x
cluster:
  nodes:
    - { prefix: n, cpu: 1000, memory: 1000, gpus: [${gpu ?? '{ count: 1, model: H100-80GB, mig: true }'}] }
workload:
  kind: synthetic
  jobs: 1
  meanInterarrivalSec: 1
  duration: { dist: constant, sec: 1 }
  tenants: [{ name: a, quota: { nominalGpus: 1 } }]
  demands: [{ gpus: 1, cpu: 0, memory: 0, mig: ${gpu ? '1g.10gb' : '9g.99gb'} }]
policies: [{ queue: fifo, placement: mig-best-fit }]
`;
    expect(() => parseScenario(text, 'bad.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(text, 'bad.yaml')).toThrow(msg);
  });
});

describe.skipIf(!haveTiresias)(`Tiresias trace (${TIRESIAS}; skipped when absent)`, () => {
  it('loads 60 jobs and the 16 × 4-GPU cluster spec', async () => {
    const { jobs } = await loadTiresiasJobs(join(TIRESIAS, '60_job.csv'), { onBadRow: 'stop' });
    expect(jobs.length).toBe(60);
    // first row: job 0, 1 GPU, submit 0 s, duration 164 s
    expect(jobs[0]).toMatchObject({ id: 't0', gpus: 1, submit: 0, duration: 164_000, estimate: 164_000 });
    expect(new Set(jobs.map((j) => j.gpus))).toEqual(new Set([1, 2, 4, 8]));
    const nodes = await loadTiresiasCluster(join(TIRESIAS, 'cluster_spec.csv'));
    // 1 switch × 16 nodes × 4 GPUs; 128 CPUs → 128000 milli; 254 GB → 260096 MiB
    expect([nodes.length, nodes[0].gpus.length, nodes[0].cpu, nodes[0].memory]).toEqual([16, 4, 128000, 260096]);
  });

  it('congested variant: sjf beats fifo on mean JCT and las preempts', async () => {
    const file = 'scenarios/tiresias-60-small.yaml';
    const s = await runScenario(loadScenario(file), { file, dryRun: true });
    const by = Object.fromEntries(s.runs.map((r) => [r.queue, r]));
    expect(by.sjf.metrics.jctMeanMs).toBeLessThan(by.fifo.metrics.jctMeanMs);
    expect(by.las.fairness!.preemptions).toBeGreaterThan(0);
    expect(by.fifo.fairness!.preemptions).toBe(0);
    for (const r of s.runs) expect(r.metrics.completed).toBe(60);
  });
});
