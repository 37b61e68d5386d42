import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultRuns } from '../src/conformance/kit.ts';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/conformance.ts', ...args]);

describe('npm run conformance', () => {
  it('passes the example user policy and prints a PASS table', async () => {
    const { stdout } = await cli('examples/my-policy.ts', '--runs', '10');
    expect(stdout).toMatch(/placement policy 'spread'/);
    expect(stdout).toMatch(/^no-overcommit\s+PASS\s+10/m);
    expect(stdout).toMatch(/^placement-valid\s+PASS/m);
    expect(stdout).toMatch(/all properties hold/);
  }, 60_000);

  it('fails a broken policy with exit code 1 and a shrunk counterexample', async () => {
    const err = (await cli('test/fixtures/broken-policy.ts', '--runs', '10').then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    )) as { code: number; stdout: string };
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/^no-overcommit\s+FAIL/m);
    // one block for the one root cause, whichever properties found it
    expect(err.stdout.match(/^FAIL — /gm)).toHaveLength(1);
    expect(err.stdout).toMatch(/^FAIL — a placement the cluster refuses \(over-commit or invalid grant\) \(found by no-overcommit, [^)]*placement-valid/m);
    expect(err.stdout).toMatch(/smallest counterexample \(1 jobs\):\n {4}scenario seed=\d+/);
    expect(err.stdout).toMatch(/reproduce: npm run conformance -- test\/fixtures\/broken-policy\.ts --seed 20250615 --runs 10 --only \S+/);
  }, 60_000);

  it('the printed reproduce command gives the same failure', async () => {
    const fail = (args: string[]) =>
      cli(...args).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
    const first = await fail(['test/fixtures/broken-policy.ts', '--runs', '10']);
    const cmd = first.match(/reproduce: npm run conformance -- (.*)$/m)![1].split(' ');
    const again = await fail(cmd);
    // the error and the counterexample (the "found by" list names only the property asked for)
    const block = (out: string) => out.slice(out.indexOf('\n', out.indexOf('FAIL — ')), out.indexOf('reproduce:'));
    expect(block(again)).toBe(block(first));
  }, 60_000);

  it('checks a routing policy file against the routing properties', async () => {
    const { stdout } = await cli('test/fixtures/emptiest-routing.ts', '--runs', '10');
    expect(stdout).toMatch(/routing policy 'emptiest'/);
    expect(stdout).toMatch(/^routes-to-candidate\s+PASS\s+10/m);
    expect(stdout).toMatch(/^never-unfit\s+PASS/m);
    expect(stdout).toMatch(/all properties hold \(1 policy\)/);
  }, 60_000);

  it('fails a warm-pool policy that counts its calls, naming the release where it drifts', async () => {
    const err = (await cli('test/fixtures/counting-warm-pool.ts', '--runs', '10').catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/warm-pool policy 'counting'/);
    expect(err.stdout).toMatch(/^valid-decision\s+PASS/m);
    expect(err.stdout).toMatch(/^no-hidden-state\s+FAIL/m);
    expect(err.stdout).toMatch(/release 2: \{"keep":1\} from an instance that decided before, \{"keep":0\} from a fresh one/);
    expect(err.stdout).toMatch(/reproduce: npm run conformance -- test\/fixtures\/counting-warm-pool\.ts --seed \d+ --runs 10 --only no-hidden-state/);
  }, 60_000);

  it('--all checks every kind, and tells apart a placement and a routing policy of the same name', async () => {
    const { stdout } = await cli('--all', '--runs', '3');
    for (const kind of ['queue', 'placement', 'routing', 'warm-pool']) expect(stdout).toMatch(new RegExp(`^${kind} policy '`, 'm'));
    expect(stdout).toMatch(/^placement policy 'random'\n/m);
    expect(stdout).toMatch(/^routing policy 'random'\n/m);
    expect(stdout).toMatch(/all properties hold \(30 policies\)/);
  }, 120_000);

  it('exits 2 with a message when the file exports no policy', async () => {
    const err = (await cli('src/engine/rng.ts').catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/exports or registers no queue, placement, routing or warm-pool policy/);
  }, 60_000);
});

describe('GPULAB_CONFORMANCE_RUNS', () => {
  it('sets the cases per property; unset or empty gives the default; anything but a positive integer is an error naming it', () => {
    expect(defaultRuns(50, {})).toBe(50);
    expect(defaultRuns(20, { GPULAB_CONFORMANCE_RUNS: ' ' })).toBe(20);
    expect(defaultRuns(50, { GPULAB_CONFORMANCE_RUNS: '500' })).toBe(500);
    for (const bad of ['abc', '0', '-3', '2.5']) expect(() => defaultRuns(50, { GPULAB_CONFORMANCE_RUNS: bad })).toThrow(`GPULAB_CONFORMANCE_RUNS: expected a positive integer, got '${bad}'`);
  });

  it('the CLI reports a bad value as a usage error (exit 2), before checking anything', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'src/cli/conformance.ts', 'examples/my-policy.ts'], { env: { ...process.env, GPULAB_CONFORMANCE_RUNS: 'abc' } }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/^error: GPULAB_CONFORMANCE_RUNS: expected a positive integer, got 'abc'/);
  }, 60_000);
});
