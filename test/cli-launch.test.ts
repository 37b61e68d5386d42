import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundle, RUN_NODE_OPTIONS, sourceHash } from '../src/bundle/build.mjs';

const run = promisify(execFile);

/** The CLI launcher (src/cli/launch.mjs): `npm run sim` from a prebuilt bundle, tsx where the bundle cannot serve. */
describe('CLI launcher', () => {
  it('runs the sim CLI from a bundle keyed by the sources, built once and then reused', async () => {
    const entry = resolve('src/cli/sim.ts');
    const first = await bundle(entry, 'cli-sim');
    const again = await bundle(entry, 'cli-sim');
    expect(again).toMatchObject({ file: first.file, built: false });
    expect(first.file).toContain(join('.cache', 'cli-sim', `${sourceHash((await import('esbuild')).version, entry)}.mjs`));
    expect(readFileSync(first.file, 'utf8')).not.toMatch(/from ["']\.\.?\/.*\.ts["']/); // no TypeScript import left
    // Another entry or bundler version is another bundle.
    expect(sourceHash('1.0.0', entry)).not.toBe(sourceHash('1.0.1', entry));
    expect(sourceHash('1.0.0', entry)).not.toBe(sourceHash('1.0.0', resolve('src/cli/merge.ts')));
    const { stdout } = await run(process.execPath, ['src/cli/launch.mjs', 'sim', '--help']);
    expect(stdout).toMatch(/^usage: npm run sim/);
  }, 60_000);

  it('runs a scenario with plugins under tsx (a plugin registers its policy where the CLI looks it up)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-launch-'));
    const scn = readFileSync('scenarios/quickstart.yaml', 'utf8')
      .replace(/^policies:/m, `plugins: [${JSON.stringify(resolve('examples/my-policy.ts'))}]\npolicies:`)
      .replace('{ queue: fifo, placement: best-fit }', '{ queue: fifo, placement: spread }');
    writeFileSync(join(dir, 's.yaml'), scn);
    const { stdout } = await run(process.execPath, ['src/cli/launch.mjs', 'sim', join(dir, 's.yaml'), '--out', join(dir, 'out')]);
    expect(stdout).toMatch(/fifo\+spread\/seed-1/);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as { runs: { run: string; metrics: { completed: number } }[] };
    expect(summary.runs.map((r) => r.run)).toEqual(['fifo+first-fit/seed-1', 'fifo+spread/seed-1']);
    expect(summary.runs.every((r) => r.metrics.completed === 3000)).toBe(true);
  }, 60_000);

  it("starts npm run sim and the benchmarks' runs with the same Node options (the young generation's size)", () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(RUN_NODE_OPTIONS).toContain('--max-semi-space-size=64');
    expect(scripts.sim).toBe(`node ${RUN_NODE_OPTIONS.join(' ')} src/cli/launch.mjs sim`);
    for (const b of ['bench', 'bench:fgd', 'bench:sweep']) expect(scripts[b]).toMatch(new RegExp(`^node ${RUN_NODE_OPTIONS.join(' ')} --import tsx bench/`));
  });

  it('refuses a CLI name that is not one (usage, exit 2)', async () => {
    const err = await run(process.execPath, ['src/cli/launch.mjs', '../x']).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/usage: node src\/cli\/launch\.mjs <cli name>/);
  });
});
