import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

const run = promisify(execFile);
const QUICKSTART = 'scenarios/quickstart.yaml';

/**
 * Golden digests of the quickstart's event logs (sha256 of events.jsonl). A change here means
 * the simulator's observable behaviour changed: update only when that change is intended.
 */
const GOLDEN: Record<string, string> = {
  'fifo+first-fit/seed-1': '5cb40e58c4688172387c3b1a0d51de354126a4d85175ec4764079d6765e599a7',
  'fifo+best-fit/seed-1': 'ccd05f8534aa9014917d545381fed93a40bc9b98110c0979d1efcc08405c29d8',
};

async function digests(): Promise<Record<string, string>> {
  const s = await runScenario(loadScenario(QUICKSTART), { file: QUICKSTART, dryRun: true });
  return Object.fromEntries(s.runs.map((r) => [r.run, r.digest]));
}

describe('determinism', () => {
  it('the same scenario and seed give the same digests twice in one process, and match the golden digests', async () => {
    const a = await digests();
    const b = await digests();
    expect(a).toEqual(b);
    expect(a).toEqual(GOLDEN);
  });

  it('two separate processes write byte-identical event logs (one from the TypeScript sources, one from the CLI bundle)', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'gpulab-det-')), mkdtempSync(join(tmpdir(), 'gpulab-det-'))];
    await Promise.all([run('npx', ['tsx', 'src/cli/sim.ts', QUICKSTART, '--out', dirs[0]]), run(process.execPath, ['src/cli/launch.mjs', 'sim', QUICKSTART, '--out', dirs[1]])]);
    const [s1, s2] = dirs.map((d) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')));
    expect(s1.runs).toEqual(s2.runs);
    expect(Object.fromEntries(s1.runs.map((r: { run: string; digest: string }) => [r.run, r.digest]))).toEqual(GOLDEN);
    const log = (d: string) => readFileSync(join(d, 'fifo+best-fit', 'seed-1', 'events.jsonl'));
    expect(log(dirs[0]).equals(log(dirs[1]))).toBe(true);
  }, 60_000);
});
