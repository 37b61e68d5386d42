import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { jobsCsv, timelineCsv } from '../src/output/csv.ts';
import { scenarioOutputDir, StagedDir } from '../src/output/out-dir.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/schema.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { synthesize } from '../src/workload/synthetic.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;
const QUICKSTART = 'scenarios/quickstart.yaml';

function simulated(jobs: JobSpec[], nodes = [node('n0', 2), node('n1', 2)], spanNodes = true) {
  const log = new RunWriter(undefined);
  simulate({
    run: 'o',
    seed: 1,
    nodes,
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    scheduler: { gang: { spanNodes } },
  });
  log.close();
  return log.deriver;
}

const records = (csv: string) => parse(csv, { columns: true }) as Record<string, string>[];

describe('jobs.csv and timeline.csv', () => {
  it('a tenant named `a,b "c"` round-trips through both files, header included', () => {
    const tenant = 'a,b "c"';
    const d = simulated([job('j1').tenant(tenant).runs(10 * s).build(), job('j2').tenant('plain').runs(10 * s).build()]);
    const jobs = records(jobsCsv(d.jobs.values()));
    expect(jobs.map((r) => [r.id, r.tenant])).toEqual([
      ['j1', tenant],
      ['j2', 'plain'],
    ]);
    const tl = records(timelineCsv(d.timeline, d.gpuCapacity));
    // 4 GPUs; at t=0 each tenant holds 1 of them: 1000 / 4000 = 25 %
    expect(Object.keys(tl[0])).toEqual(['t_ms', 'gpu_alloc_milli', 'gpu_alloc_pct', 'queued', 'running', 'gpu_up_milli', `share_pct_${tenant}`, 'share_pct_plain']);
    expect(tl[0][`share_pct_${tenant}`]).toBe('25');
  });

  it('lists requested and granted GPUs, every node of a spanning gang, and leaves not-applicable fields empty', () => {
    const d = simulated([
      // 3 GPUs on 2-GPU nodes: n0 GPUs 0,1 and n1 GPU 0
      job('gang').gpus(3).runs(10 * s).build(),
      job('half').milli(500).runs(5 * s).build(),
      // 8 GPUs fit nowhere, not even spanning 4: rejected at arrival
      job('huge').gpus(8).build(),
    ]);
    const by = Object.fromEntries(records(jobsCsv(d.jobs.values())).map((r) => [r.id, r]));
    expect(by.gang).toMatchObject({ req_gpus: '3', req_milli: '1000', node: 'n0|n1', gpus: '0;1|0', milli: '1000', start_ms: '0', end_ms: '10000' });
    expect(by.half).toMatchObject({ req_gpus: '1', req_milli: '500', node: 'n1', gpus: '1', milli: '500' });
    expect(by.huge).toMatchObject({ state: 'rejected', req_gpus: '8', start_ms: '', end_ms: '0', node: '', gpus: '', milli: '', attempts: '0' });
  });
});

describe('a run without files (dry run)', () => {
  it('gives the same digest, metrics and fairness keeping no timeline rows and no ended jobs (as runScenario runs it)', () => {
    const scn = loadScenario(QUICKSTART);
    if (scn.workload.kind !== 'synthetic') throw new Error('quickstart must be synthetic');
    const jobs = synthesize({ ...scn.workload, jobs: 400 }, 3);
    const nodes = expandNodeGroups('nodes' in scn.cluster ? scn.cluster.nodes : []);
    const run = (log: RunWriter, keepEndedJobs: boolean) => {
      const r = simulate({ run: 'o', seed: 3, nodes, jobs, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('best-fit')({}), log, keepEndedJobs });
      return { digest: log.close(), metrics: log.deriver.metrics(), fairness: log.deriver.fairness(), kept: r.core.jobs.size };
    };
    const keeping = new RunWriter(undefined);
    const full = run(keeping, true);
    const lean = new RunWriter(undefined, { keepTimeline: false });
    const dry = run(lean, false);
    expect(keeping.deriver.timeline.length).toBeGreaterThan(400);
    expect(lean.deriver.timeline).toHaveLength(0);
    expect(full.kept).toBe(400);
    expect(dry.kept).toBe(0);
    expect({ ...dry, kept: 0 }).toEqual({ ...full, kept: 0 });
  });
});

/** The quickstart cut to `jobs` jobs, one seed, its two policies. */
function small(jobs = 60): Scenario {
  const scn = loadScenario(QUICKSTART);
  if (scn.workload.kind !== 'synthetic') throw new Error('quickstart is synthetic');
  return { ...scn, seeds: [1], workload: { ...scn.workload, jobs } };
}

/** A valid scenario's cluster and workload (YAML lines). */
const BODY =
  'cluster: { nodes: [{ prefix: n, count: 1, cpu: 8000, memory: 8192, gpus: [{ count: 1, model: A100 }] }] }\n' +
  'workload: { kind: synthetic, jobs: 1, meanInterarrivalSec: 1, duration: { dist: constant, sec: 1 }, tenants: [{ name: a }], demands: [{ weight: 1, gpus: 1, cpu: 1000, memory: 1024 }] }\n';

const leftovers = (dir: string) => readdirSync(dir).filter((e) => e.startsWith('.'));

describe('output directory', () => {
  it.each([1, 2])('a run that throws midway leaves the previous output intact and no temporary directory (%i thread(s))', async (jobs) => {
    const root = mkdtempSync(join(tmpdir(), 'gpulab-out-'));
    const out = join(root, 'x');
    await runScenario(small(), { file: QUICKSTART, out });
    const before = readFileSync(join(out, 'summary.json'), 'utf8');
    const log = readFileSync(join(out, 'fifo+first-fit', 'seed-1', 'events.jsonl'), 'utf8');
    // Throws after the first of two runs has written its files (into the temporary directory).
    const boom = (l: string) => {
      if (l.startsWith('[1/')) throw new Error('midway');
    };
    await expect(runScenario(small(80), { file: QUICKSTART, out, progress: boom, jobs })).rejects.toThrow('midway');
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(out, 'fifo+first-fit', 'seed-1', 'events.jsonl'), 'utf8')).toBe(log);
    expect(leftovers(root)).toEqual([]);
  });

  it('a complete run replaces the previous output, stale run directories included', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gpulab-out-'));
    const out = join(root, 'x');
    await runScenario(small(), { file: QUICKSTART, out });
    expect(readdirSync(out).sort()).toEqual(['fifo+best-fit', 'fifo+first-fit', 'summary.json']);
    const one = small();
    await runScenario({ ...one, policies: one.policies.slice(0, 1) }, { file: QUICKSTART, out });
    expect(readdirSync(out).sort()).toEqual(['fifo+first-fit', 'summary.json']);
    expect(leftovers(root)).toEqual([]);
  });

  it('never replaces a directory that is not a previous output, and removes temporary directories of killed runs', () => {
    const root = mkdtempSync(join(tmpdir(), 'gpulab-out-'));
    mkdirSync(join(root, 'mine'));
    writeFileSync(join(root, 'mine', 'notes.txt'), 'keep me');
    expect(() => StagedDir.begin(join(root, 'mine'))).toThrow(/not a gpulab output/);
    // pid 2^22 + 1 is above Linux's pid_max: no such process
    mkdirSync(join(root, `.x.tmp-${2 ** 22 + 1}`));
    const st = StagedDir.begin(join(root, 'x'));
    expect(leftovers(root)).toEqual([`.x.tmp-${process.pid}`]);
    st.abort();
    expect(leftovers(root)).toEqual([]);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it.each([
    ['name: ..', "name: '..' is outside out/"],
    ['name: ok\noutput: ../../etc', "output: '../../etc' is outside out/"],
    ['name: ok\noutput: /etc', "output: '/etc' must be a directory inside the output root out/"],
    ['name: ok\noutput: a/../..', "output: 'a/../..' is outside out/"],
    ['name: ok\noutput: .', "output: '.' is the output root itself"],
  ])('a scenario whose outputs would leave out/ is an error naming the field (%s)', (head, message) => {
    const text = `${head}\n${BODY}policies: [{ queue: fifo, placement: first-fit }]\n`;
    expect(() => parseScenario(text, 'x.yaml')).toThrow(message);
  });

  it('the same checks hold for a scenario built in code, before anything is written', async () => {
    const scn = small();
    await expect(runScenario({ ...scn, name: '..' }, { file: 'x.yaml' })).rejects.toThrow(ScenarioError);
    await expect(runScenario({ ...scn, output: '../elsewhere' }, { file: 'x.yaml' })).rejects.toThrow("output: '../elsewhere' is outside out/");
    expect(scenarioOutputDir('study', 'a/b')).toBe(join('out', 'a', 'b'));
  });

  it.each([
    ['[{ queue: fifo, placement: first-fit, label: x }, { queue: fifo, placement: best-fit, label: x }]', "policies.1.label: duplicate label 'x' (also policies.0)"],
    ['[{ queue: fifo, placement: first-fit }, { queue: fifo, placement: first-fit, params: { placement: { a: 1 } } }]', "policies.1.label: duplicate label 'fifo+first-fit'"],
    ['[{ queue: fifo, placement: first-fit, label: .. }]', "policies.0.label: '..' is not a directory name"],
  ])('policy combinations with one label are an error naming the field', (policies, message) => {
    const text = `name: dup\n${BODY}policies: ${policies}\n`;
    expect(() => parseScenario(text, 'x.yaml')).toThrow(message);
  });
});

describe('summary.json and the comparison table', () => {
  it('times are integer ms named …Ms, each metric says which jobs it covers, and the table shows unfinished jobs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-units-'));
    const scn = readFileSync(QUICKSTART, 'utf8').replace(/^name: .*$/m, 'name: cut').concat('\nuntilSec: 20000\n');
    writeFileSync(join(dir, 'cut.yaml'), scn);
    const stdout = execFileSync('npx', ['tsx', 'src/cli/sim.ts', join(dir, 'cut.yaml'), '--out', join(dir, 'out')], { encoding: 'utf8', timeout: 60_000 });
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.covers.jct).toMatch(/succeeded jobs/);
    const m = summary.runs[0].metrics;
    expect(m.unfinished).toBeGreaterThan(0);
    expect(m.completed + m.unfinished + m.rejected + m.failed + m.cancelled).toBe(m.jobs);
    for (const k of ['jctMeanMs', 'jctP50Ms', 'jctP95Ms', 'jctP99Ms', 'waitMeanMs', 'waitP95Ms', 'makespanMs']) expect(Number.isInteger(m[k]), k).toBe(true);
    const lines = stdout.split('\n');
    const head = lines.find((l) => l.startsWith('run '))!.split(/\s{2,}/);
    expect(head.slice(0, 5)).toEqual(['run', 'done', 'rej', 'fail', 'unfin']);
    const row = lines.find((l) => l.startsWith(summary.runs[0].run))!.split(/\s+/);
    expect(Number(row[4])).toBe(m.unfinished);
    // the printed table stays in seconds: JCT mean ms / 1000, as the footer says
    expect(Number(row[5])).toBeCloseTo(m.jctMeanMs / 1000, -1);
    expect(stdout).toContain('(times in seconds; JCT over the succeeded jobs (done)');
  }, 60_000);
});
