import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '..', 'src');

/** Every .ts file under `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The repository-relative targets of a file's imports (`import … from '…'`, `import '…'`, `import('…')`). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) out.push(relative(resolve(src, '..'), resolve(file, '..', m[1])));
  return out;
}

// Low modules (the model, the core and what it needs, the simulator, outputs, loaders) never
// import the high ones (scenario files, live mode, CLIs, the conformance kit, the FGD study
// runner, the shipped policies); the core does not import quotas (they plug in as policies).
const LOW = ['log', 'engine', 'cluster', 'jobs', 'scheduler', 'quota', 'wiring', 'sim', 'output', 'metrics', 'trace', 'workload', 'frag'];
const HIGH = ['src/scenario/', 'src/live/', 'src/cli/', 'src/conformance/', 'src/fgd/', 'policies/'];

describe('layering', () => {
  it.each(LOW)('src/%s imports nothing of scenario, live, cli, conformance, fgd or policies', (dir) => {
    const bad = files(join(src, dir)).flatMap((f) => imports(f).filter((t) => HIGH.some((h) => t.startsWith(h))).map((t) => `${relative(src, f)} → ${t}`));
    expect(bad).toEqual([]);
  });

  it('the scheduler core does not import quotas', () => {
    const bad = files(join(src, 'scheduler')).flatMap((f) => imports(f).filter((t) => t.startsWith('src/quota/')).map((t) => `${relative(src, f)} → ${t}`));
    expect(bad).toEqual([]);
  });

  it('the log record module imports nothing of the project (zod only)', () => {
    expect(imports(join(src, 'log', 'records.ts'))).toEqual([]);
  });
});
