import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { runScenario, SweepFailedError } from '../src/scenario/run.ts';
import { mergeParts } from '../src/sweep/merge.ts';
import { readPart } from '../src/sweep/part.ts';
import { planSweep } from '../src/sweep/plan.ts';
import { parseShard, shardTasks } from '../src/sweep/shard.ts';

/** Every file under `dir` (relative path → bytes). */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

/** Asserts two output trees hold the same files with the same bytes. */
function sameTree(a: string, b: string): void {
  const ta = tree(a);
  const tb = tree(b);
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  for (const [f, bytes] of ta) expect(tb.get(f) === bytes, f).toBe(true);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'gpulab-sweep-'));

// A small synthetic scenario: 2 policies × 3 seeds = 6 runs of 150 jobs.
const SIM = `
name: sweep-sim
seeds: [1, 2, 3]
cluster:
  nodes:
    - { prefix: n-, count: 2, cpu: 64000, memory: 262144, gpus: [{ count: 4, model: A100-80GB }] }
workload:
  kind: synthetic
  jobs: 150
  meanInterarrivalSec: 60
  duration: { dist: exponential, meanSec: 600 }
  tenants: [{ name: a }, { name: b, share: 2 }]
  demands:
    - { weight: 3, gpus: 1, cpu: 4000, memory: 8192 }
    - { weight: 1, gpus: 2, cpu: 8000, memory: 16384 }
policies:
  - { queue: fifo, placement: first-fit }
  - { queue: drf, placement: best-fit }
`;

// A static fill over two pod lists written beside the scenario: 2 lists × 2 policies × 2 seeds.
function fillFixture(badSecond = false): { file: string; dir: string } {
  const dir = tmp();
  writeFileSync(join(dir, 'nodes.csv'), 'sn,cpu_milli,memory_mib,gpu,model\n' + Array.from({ length: 6 }, (_, i) => `n${i},32000,65536,${[1, 2, 4][i % 3]},G2`).join('\n') + '\n');
  const pods = (k: number) =>
    'name,cpu_milli,memory_mib,num_gpu,gpu_milli\n' + Array.from({ length: 20 }, (_, i) => `p${i},${1000 * (1 + (i % 3))},1024,${i % 5 === 0 ? `2,1000` : `1,${[1000, 500, 250, 700][(i + k) % 4]}`}`).join('\n') + '\n';
  writeFileSync(join(dir, 'openb_pod_list_one.csv'), pods(0));
  writeFileSync(join(dir, 'openb_pod_list_two.csv'), badSecond ? 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,x,1024,1,1000\n' : pods(1));
  const file = join(dir, 'fill.yaml');
  writeFileSync(
    file,
    `name: sweep-fill
seeds: [7, 8]
cluster: { nodesCsv: nodes.csv, format: openb }
workload: { kind: static-fill, paths: [openb_pod_list_one.csv, openb_pod_list_two.csv], tune: 1.3 }
policies:
  - { queue: fifo, placement: fgd }
  - { queue: fifo, placement: best-fit-study, label: best-fit }
`,
  );
  return { file, dir };
}

describe('the sweep plan', () => {
  it('numbers a simulation seed-major (each seed, every combination) and a static fill per list, policy, seed', () => {
    const sim = planSweep(parseScenario(SIM, 'sim.yaml'), [1, 2, 3]);
    expect(sim.tasks.map((t) => t.name)).toEqual([
      'fifo+first-fit/seed-1', 'drf+best-fit/seed-1', 'fifo+first-fit/seed-2', 'drf+best-fit/seed-2', 'fifo+first-fit/seed-3', 'drf+best-fit/seed-3',
    ]);
    const { file } = fillFixture();
    const fill = planSweep(parseScenario(readFileSync(file, 'utf8'), file), [7, 8]);
    expect(fill.workloads.map((w) => w.name)).toEqual(['one', 'two']);
    // 2 lists × 2 policies × 2 seeds = 8, in fgd-curve.csv's row order
    expect(fill.tasks.map((t) => t.name)).toEqual([
      'fgd/seed-7 on one', 'fgd/seed-8 on one', 'best-fit/seed-7 on one', 'best-fit/seed-8 on one',
      'fgd/seed-7 on two', 'fgd/seed-8 on two', 'best-fit/seed-7 on two', 'best-fit/seed-8 on two',
    ]);
  });

  it('shard i/n takes the plan indices ≡ i (mod n): the shards cover every run once', () => {
    // 10 runs, 3 shards: {0,3,6,9} {1,4,7} {2,5,8}
    expect([0, 1, 2].map((i) => shardTasks(10, { index: i, count: 3 }))).toEqual([[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]);
    expect(shardTasks(4, undefined)).toEqual([0, 1, 2, 3]);
    expect(parseShard('--shard', '2/5')).toEqual({ index: 2, count: 5 });
    expect(() => parseShard('--shard', '5/5')).toThrow(/--shard: the shard index i must be below n \(0 … 4\), got 5/);
    expect(() => parseShard('--shard', '1-4')).toThrow(/--shard: expected i\/n/);
    expect(() => parseShard('--shard', '0/0')).toThrow(/shard count n must be from 1/);
  });
});

describe('workload.paths is checked at the edge', () => {
  const fill = (w: string) => `name: x\ncluster: { nodesCsv: n.csv, format: openb }\nworkload: { kind: static-fill, ${w} }\npolicies: [{ queue: fifo, placement: fgd }]\n`;
  const problems = (text: string) => {
    try {
      parseScenario(text, 'bad.yaml');
    } catch (e) {
      return (e as ScenarioError).problems.join('\n');
    }
    return '';
  };
  it('names the field when neither, both, or two lists of one name are given', () => {
    expect(problems(fill('tune: 1.3'))).toMatch(/workload\.path: give the pod list as `path`, or several as `paths`/);
    expect(problems(fill('path: a.csv, paths: [b.csv]'))).toMatch(/workload\.paths: give `path` or `paths`, not both/);
    expect(problems(fill('paths: [x/openb_pod_list_a.csv, y/openb_pod_list_a.csv]'))).toMatch(/workload\.paths\.1: pod list 'a' is already paths\.0/);
    expect(problems(fill('paths: []'))).toMatch(/workload\.paths:/);
  });
});

describe('a small synthetic sweep without --jobs runs in this thread', () => {
  it('6 runs × 150 jobs: this thread, saying why; --jobs 2 still gives threads', async () => {
    const root = tmp();
    const scn = parseScenario(SIM, join(root, 'sim.yaml'));
    const lines: string[] = [];
    const s = await runScenario(scn, { file: join(root, 'sim.yaml'), out: join(root, 'out'), progress: (l) => lines.push(l) });
    expect(s.time).toMatch(/wall on this thread/);
    expect(lines.join('\n')).toMatch(/a small sweep \(900 jobs in all\): worker threads would cost more to start than they save/);
    const t = await runScenario(scn, { file: join(root, 'sim.yaml'), out: join(root, 'out2'), jobs: 2 });
    expect(t.time).toMatch(/on 2 workers/);
  });
});

describe('worker threads give the bytes of a serial run', () => {
  it('simulation: every file (events.jsonl, jobs.csv, timeline.csv, summary.json) is the same with --jobs 1 and 2', async () => {
    const root = tmp();
    const scn = parseScenario(SIM, join(root, 'sim.yaml'));
    const out = join(root, 'out');
    await runScenario(scn, { file: join(root, 'sim.yaml'), out, jobs: 1 });
    renameSync(out, join(root, 'serial'));
    const s = await runScenario(scn, { file: join(root, 'sim.yaml'), out, jobs: 2 });
    expect(s.time).toMatch(/on 2 workers/);
    expect(tree(out).size).toBe(6 * 3 + 1); // 6 runs × 3 files + summary.json
    sameTree(join(root, 'serial'), out);
  });

  it('static fill over two pod lists: fgd-curve.csv and summary.json are the same with --jobs 1 and 2', async () => {
    const { file, dir } = fillFixture();
    const scn = parseScenario(readFileSync(file, 'utf8'), file);
    const out = join(dir, 'out');
    await runScenario(scn, { file, out, jobs: 1 });
    renameSync(out, join(dir, 'serial'));
    const s = await runScenario(scn, { file, out, jobs: 2 });
    sameTree(join(dir, 'serial'), out);
    const curve = readFileSync(join(out, 'fgd-curve.csv'), 'utf8').trim().split('\n');
    // 8 runs × 131 points (0..130) + header; both lists present, one panel each in the viewer
    expect(curve).toHaveLength(1 + 8 * 131);
    expect(new Set(curve.slice(1).map((r) => r.split(',')[0]))).toEqual(new Set(['one', 'two']));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.kind).toBe('static-fill');
    expect(summary.workloads.map((w: { workload: string; pods: number }) => [w.workload, w.pods])).toEqual([['one', 20], ['two', 20]]);
    expect(summary.results.map((r: { label: string; workload: string }) => `${r.workload}:${r.label}`)).toEqual(['one:fgd', 'one:best-fit', 'two:fgd', 'two:best-fit']);
    expect(s.report).toMatch(/^pod list +policy +seeds/);
  });
});

describe('shards merge into exactly what one run writes', () => {
  it('simulation in 4 shards = the unsharded run, byte for byte (every run\'s files and summary.json)', async () => {
    const root = tmp();
    const file = join(root, 'sim.yaml');
    const scn = parseScenario(SIM, file);
    const out = join(root, 'out');
    await runScenario(scn, { file, out, jobs: 2 });
    renameSync(out, join(root, 'whole'));
    const parts = [0, 1, 2, 3].map((i) => join(root, `part-${i}`));
    for (const [i, p] of parts.entries()) await runScenario(scn, { file, out: p, jobs: 1, shard: { index: i, count: 4 } });
    // 6 runs over 4 shards: indices {0,4} {1,5} {2} {3}
    expect(readPart(parts[0]).results.map((r) => r.i)).toEqual([0, 4]);
    expect(readPart(parts[2]).results.map((r) => r.i)).toEqual([2]);
    await mergeParts(parts, out);
    sameTree(join(root, 'whole'), out);
  });

  it('static fill in 3 shards = the unsharded run; a missing shard or another sweep\'s part is refused', async () => {
    const { file, dir } = fillFixture();
    const scn = parseScenario(readFileSync(file, 'utf8'), file);
    const out = join(dir, 'out');
    await runScenario(scn, { file, out, jobs: 1 });
    renameSync(out, join(dir, 'whole'));
    const parts = [0, 1, 2].map((i) => join(dir, `part-${i}`));
    for (const [i, p] of parts.entries()) await runScenario(scn, { file, out: p, shard: { index: i, count: 3 } });
    await expect(mergeParts(parts.slice(0, 2), out)).rejects.toThrow(/2 of 8 runs are in no part \(best-fit\/seed-7 on one, fgd\/seed-8 on two\); shards present: 0\/3, 1\/3/);
    const other = join(dir, 'other');
    await runScenario({ ...scn, seeds: [9] }, { file, out: other, shard: { index: 0, count: 3 } });
    await expect(mergeParts([...parts, other], out)).rejects.toThrow(/is a part of another sweep/);
    await mergeParts(parts, out);
    sameTree(join(dir, 'whole'), out);
  });
});

describe('a failed run is named and the others are kept', () => {
  it('a bad pod list fails its runs on the workers; the first list\'s runs are kept in sweep-part.json', async () => {
    const { file, dir } = fillFixture(true);
    const scn = parseScenario(readFileSync(file, 'utf8'), file);
    const out = join(dir, 'out');
    const err = await runScenario(scn, { file, out, jobs: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SweepFailedError);
    const msg = (err as Error).message;
    // the 4 runs on list 'two' fail, each named by policy, seed and pod list, with the row's error
    expect(msg).toMatch(/^4 of 8 runs failed:/);
    expect(msg).toMatch(/- fgd\/seed-7 on two: \S*openb_pod_list_two\.csv:2: column 'cpu_milli': expected an integer, got 'x'/);
    expect(msg).toMatch(/- best-fit\/seed-8 on two: /);
    const part = readPart(out);
    expect(part.results.map((r) => r.i)).toEqual([0, 1, 2, 3]);
    expect(part.failed.map((f) => f.run)).toEqual(['fgd/seed-7 on two', 'fgd/seed-8 on two', 'best-fit/seed-7 on two', 'best-fit/seed-8 on two']);
    // no summary.json: the sweep is incomplete
    expect(readdirSync(out)).toEqual(['sweep-part.json']);
  });

  it('when every run fails (both lists bad), the error itself is thrown on workers too and nothing is left behind', async () => {
    const { file, dir } = fillFixture(true);
    writeFileSync(join(dir, 'openb_pod_list_one.csv'), 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,1,1001\n');
    const scn = parseScenario(readFileSync(file, 'utf8'), file);
    const out = join(dir, 'out');
    // the first run's own error (a trace row error naming file, line and column), not a summary of runs
    await expect(runScenario(scn, { file, out, jobs: 2 })).rejects.toThrow(/openb_pod_list_one\.csv:2: column 'gpu_milli'/);
    expect(existsSync(out)).toBe(false);
  });
});
