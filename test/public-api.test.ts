import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';
import { ROOT as root, TSX as tsx, userProject } from './helpers/user-project.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const POLICY = `import { placeByScore, registerPlacementPolicy, type PlacementPolicy } from 'gpulab';
export const spread = {
  name: 'spread',
  place: (job, cluster) => placeByScore(cluster, job, 'loosest', (node) => -node.gpuFree),
} satisfies PlacementPolicy;
registerPlacementPolicy('spread', () => spread);
`;

const SCENARIO = `name: ext
seeds: [1]
cluster:
  nodes:
    - { prefix: n-, count: 2, cpu: 64000, memory: 262144, gpus: [{ count: 4, model: A100-80GB }] }
workload:
  kind: synthetic
  jobs: 40
  meanInterarrivalSec: 30
  duration: { dist: exponential, meanSec: 100 }
  tenants: [{ name: a }]
  demands: [{ weight: 1, gpus: 1, cpu: 1000, memory: 1024 }]
policies:
  - { queue: fifo, placement: spread }
plugins: [./my-policy.ts]
`;

describe('public API', () => {
  it('exports what a user script needs from one entry point', () => {
    for (const name of ['loadScenario', 'runScenario', 'simulate', 'registerPlacementPolicy', 'registerQueuePolicy', 'placeByScore', 'planPreemption', 'scratchCluster', 'wireCore', 'RunWriter', 'Deriver', 'PolicyError']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('a policy file outside the checkout (loaded as CommonJS) registers where the CLI looks', () => {
    const dir = userProject();
    dirs.push(dir);
    writeFileSync(join(dir, 'my-policy.ts'), POLICY);
    writeFileSync(join(dir, 'scn.yaml'), SCENARIO);
    const r = spawnSync(tsx, [join(root, 'src/cli/sim.ts'), join(dir, 'scn.yaml'), '--dry-run'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/unknown placement policy/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/fifo\+spread\/seed-1\s+40\s/);
  });

  it("a user's ESM script imports loadScenario, runScenario, simulate and registerPlacementPolicy from 'gpulab'", () => {
    const dir = userProject();
    dirs.push(dir);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'my-policy.ts'), POLICY);
    writeFileSync(join(dir, 'scn.yaml'), SCENARIO);
    writeFileSync(
      join(dir, 'study.ts'),
      `import { loadScenario, runScenario, simulate, RunWriter, placementPolicyFactory, queuePolicyFactory } from 'gpulab';
import './my-policy.ts';
const scn = loadScenario('scn.yaml');
const summary = await runScenario(scn, { file: 'scn.yaml', dryRun: true });
const log = new RunWriter(undefined);
const res = simulate({ run: 'one', seed: 1, nodes: [{ id: 'n0', cpu: 8000, memory: 8192, gpus: [{ model: 'A100', capacity: 1000 }] }],
  jobs: [{ id: 'j', tenant: 't', submit: 0, duration: 5000, priority: 0, cpu: 1000, memory: 1024, gpus: 1, milli: 1000 }],
  queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('spread')({}), log });
console.log(JSON.stringify({ runs: summary.runs.map((r) => [r.run, r.metrics.completed]), end: res.end }));
`,
    );
    const out = execFileSync(tsx, ['study.ts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ runs: [['fifo+spread/seed-1', 40]], end: 5000 });
  });

  it("a user's warm-pool policy file registers through 'gpulab', passes the kit and sizes a scenario's pool", () => {
    const dir = userProject();
    dirs.push(dir);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    // Keeps two idle instances of a context for 60 s after each release.
    writeFileSync(
      join(dir, 'keep-two.ts'),
      `import { registerWarmPoolPolicy, z, type WarmPoolPolicy } from 'gpulab';
export const keepTwo = { name: 'keep-two', afterRelease: () => ({ keep: 2, ttlMs: 60_000 }) } satisfies WarmPoolPolicy;
registerWarmPoolPolicy('keep-two', () => keepTwo, { params: z.strictObject({}) });
`,
    );
    writeFileSync(
      join(dir, 'scn.yaml'),
      SCENARIO.replace('demands: [{ weight: 1, gpus: 1, cpu: 1000, memory: 1024 }]', 'demands: [{ weight: 1, gpus: 1, cpu: 1000, memory: 1024, context: m }]')
        .replace('plugins: [./my-policy.ts]', 'plugins: [./keep-two.ts]')
        .replace('  - { queue: fifo, placement: spread }', '  - { queue: fifo, placement: affinity }\ncontexts: { warmStartSec: 1, coldStartSec: 10, warmPool: { policy: keep-two } }'),
    );
    writeFileSync(
      join(dir, 'check.ts'),
      `import { checkWarmPool, loadScenario, runScenario } from 'gpulab';
import { keepTwo } from './keep-two.ts';
const kit = checkWarmPool(() => keepTwo, { numRuns: 10 }).map((r) => r.status);
const summary = await runScenario(loadScenario('scn.yaml'), { file: 'scn.yaml', dryRun: true });
const c = summary.runs[0].contexts!;
console.log(JSON.stringify({ kit, completed: summary.runs[0].metrics.completed, warm: c.warmStarts > 0, cold: c.coldStarts > 0 }));
`,
    );
    const out = execFileSync(tsx, ['check.ts'], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ kit: ['pass', 'pass', 'pass', 'pass', 'pass'], completed: 40, warm: true, cold: true });
  }, 120_000);

  it('the packed package holds the entry point, the shipped policies and no tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toContain('src/index.ts');
    expect(files).toContain('policies/index.ts');
    expect(files).toContain('package.json');
    expect(files.some((f) => f.startsWith('test/'))).toBe(false);
  });
});
