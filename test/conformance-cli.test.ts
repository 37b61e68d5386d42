import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

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
    expect(err.stdout).toMatch(/FAIL no-overcommit: PolicyError: placement policy '[^']+' returned a placement the cluster refuses \(AllocationError: /);
    expect(err.stdout).toMatch(/shrunk counterexample:\n {4}scenario seed=\d+/);
    expect(err.stdout).toMatch(/replay: --seed -?\d+/);
  }, 60_000);

  it('exits 2 with a message when the file exports no policy', async () => {
    const err = (await cli('src/engine/rng.ts').catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/exports or registers no queue or placement policy/);
  }, 60_000);
});
