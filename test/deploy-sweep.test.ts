import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The shipped sweep launchers (README "Sweeps and shards"): the Kubernetes Indexed Job and the
 * Slurm array script. Each is run here with a stand-in `npm` that prints its arguments, so the
 * test checks the command a pod or array task would run for its index.
 */

const ROOT = join(import.meta.dirname, '..');

/** A folder with an `npm` that prints its arguments, one line. */
function fakeNpm(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpulab-fake-npm-'));
  writeFileSync(join(dir, 'npm'), '#!/bin/sh\necho "$@"\n');
  chmodSync(join(dir, 'npm'), 0o755);
  writeFileSync(join(dir, 'nproc'), '#!/bin/sh\necho 2\n');
  chmodSync(join(dir, 'nproc'), 0o755);
  return dir;
}

describe('deploy/k8s/sweep-job.yaml', () => {
  const job = parse(readFileSync(join(ROOT, 'deploy/k8s/sweep-job.yaml'), 'utf8'));
  const c = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));

  it('is an Indexed Job whose completions, parallelism and SHARDS agree, on a scenario that exists', () => {
    expect([job.apiVersion, job.kind, job.spec.completionMode]).toEqual(['batch/v1', 'Job', 'Indexed']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(Number(env.SHARDS)).toBe(job.spec.completions);
    expect(existsSync(join(ROOT, env.SCENARIO))).toBe(true);
    // every mounted volume is declared
    const vols = new Set(job.spec.template.spec.volumes.map((v: { name: string }) => v.name));
    for (const m of c.volumeMounts) expect(vols.has(m.name), m.name).toBe(true);
  });

  it('pod k runs shard k/N of the scenario into /out/parts/shard-k', () => {
    const bin = fakeNpm();
    const out = execFileSync(c.command[0], [...c.command.slice(1), ...c.args], {
      env: { PATH: `${bin}:${process.env.PATH}`, ...env, JOB_COMPLETION_INDEX: '3' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('run sim -- scenarios/fgd-matrix.yaml --shard 3/8 --jobs 2 --out /out/parts/shard-3');
  });
});

describe('deploy/slurm/sweep.sbatch', () => {
  const script = join(ROOT, 'deploy/slurm/sweep.sbatch');
  const run = (env: Record<string, string>) => spawnSync('bash', [script], { env: { PATH: `${fakeNpm()}:${process.env.PATH}`, ...env }, encoding: 'utf8', cwd: ROOT });

  it('parses (bash -n)', () => {
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
  });

  it('array task k of --array=0-7 runs shard k/8 with its CPUs as worker threads', () => {
    const r = run({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MAX: '7', SLURM_CPUS_PER_TASK: '4' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('run sim -- scenarios/fgd-matrix.yaml --shard 2/8 --jobs 4 --out out/sweep/parts/shard-2');
    expect(readFileSync(script, 'utf8')).toMatch(/^#SBATCH --array=0-7$/m);
  });

  it('takes the shard count from SLURM_ARRAY_TASK_COUNT when Slurm sets it, and SCENARIO/OUT from the environment', () => {
    const r = run({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MAX: '3', SCENARIO: 'scenarios/fgd-openb.yaml', OUT: '/shared/o' });
    expect(r.stdout.trim()).toBe('run sim -- scenarios/fgd-openb.yaml --shard 1/4 --jobs 1 --out /shared/o/parts/shard-1');
  });

  it('outside an array job it stops and says how to submit it', () => {
    const r = run({});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/run this script with sbatch --array=0-\(N-1\)/);
  });
});
