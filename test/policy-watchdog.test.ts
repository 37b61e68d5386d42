import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT as root, TSX as tsx, userProject } from './helpers/user-project.ts';

const dir = userProject('gpulab-watchdog-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A placement policy that loops forever on the third job it is asked about.
writeFileSync(
  join(dir, 'hang.ts'),
  `import { registerPlacementPolicy, placeOn } from 'gpulab';
let calls = 0;
registerPlacementPolicy('hang-third', () => ({
  name: 'hang-third',
  place(job, cluster) {
    if (++calls === 3) for (;;) {}
    for (const n of cluster.nodes) { const p = placeOn(n, job); if (p) return { kind: 'placed', placement: p }; }
    return { kind: 'unfit', reason: 'full' };
  },
}));
`,
);
writeFileSync(
  join(dir, 'scn.yaml'),
  `name: hang
seeds: [1]
cluster:
  nodes:
    - { prefix: n-, count: 1, cpu: 64000, memory: 262144, gpus: [{ count: 8, model: A100-80GB }] }
workload:
  kind: synthetic
  jobs: 20
  meanInterarrivalSec: 10
  duration: { dist: constant, sec: 100 }
  tenants: [{ name: a }]
  demands: [{ weight: 1, gpus: 1, cpu: 1000, memory: 1024 }]
policies:
  - { queue: fifo, placement: hang-third }
plugins: [./hang.ts]
`,
);

// A queue policy that takes 1.3 s of wall time once, then behaves.
writeFileSync(
  join(dir, 'slow.ts'),
  `import { registerQueuePolicy } from 'gpulab';
let calls = 0;
registerQueuePolicy('slow-once', () => ({
  name: 'slow-once',
  order(view) {
    if (++calls === 2) { const until = performance.now() + 1300; while (performance.now() < until) {} }
    return view.queue;
  },
}));
`,
);

describe('policy watchdog (npm run sim)', () => {
  it('a call over a second is reported once on stderr, and the run completes', () => {
    writeFileSync(join(dir, 'slow.yaml'), readFileSync(join(dir, 'scn.yaml'), 'utf8').replace('queue: fifo, placement: hang-third', 'queue: slow-once, placement: first-fit').replace('./hang.ts', './slow.ts'));
    const r = spawnSync(tsx, [join(root, 'src/cli/sim.ts'), join(dir, 'slow.yaml'), '--dry-run'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stderr.match(/warning: /g)).toHaveLength(1);
    expect(r.stderr).toMatch(/warning: queue policy 'slow-once' in order\(\) at t=\d+\.\d{3} s \(simulated\) has run for over 1\.\d s of wall time \(budget 30 s; reported once per policy and call\)/);
    expect(r.stdout).toMatch(/slow-once\+first-fit\/seed-1\s+20\s/);
  }, 60_000);

  it('a policy call that never returns aborts the run naming the policy, call, job and simulated time, leaving no output', () => {
    const out = join(dir, 'out');
    const t0 = performance.now();
    const r = spawnSync(tsx, [join(root, 'src/cli/sim.ts'), join(dir, 'scn.yaml'), '--out', out, '--policy-timeout', '0.5'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const took = performance.now() - t0;
    // Killed with SIGKILL (tsx's launcher reports its child's signal as exit status 137).
    expect(r.signal === 'SIGKILL' || r.status === 137).toBe(true);
    expect(r.stderr).toMatch(/error: placement policy 'hang-third' in place\(job \S+\) at t=\d+\.\d{3} s \(simulated\) has run for \d+\.\d s of wall time, past its budget of 0\.5 s \(--policy-timeout\); the run is aborted/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(took).toBeLessThan(30_000);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['hang.ts', 'node_modules', 'scn.yaml', 'slow.ts', 'slow.yaml']);
  }, 60_000);
});
