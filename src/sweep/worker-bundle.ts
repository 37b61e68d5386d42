import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../trace/resolve.ts';

/**
 * The sweep's worker code as one plain JavaScript file, so that a worker thread starts without a
 * TypeScript loader (the FGD study's old pool recompiled the sources in every worker). esbuild
 * bundles src/sweep/worker-main.ts with everything it imports from src/ and policies/ (packages
 * stay imports, resolved from the repository's node_modules) into
 * `.cache/sweep-worker/<hash>.mjs`, where `<hash>` covers every source file under src/ and
 * policies/ and the esbuild version: an edit makes a new bundle, an unchanged tree reuses the
 * last one. The folder is two levels below the repository root, like src/trace/, so the bundle's
 * REPO_ROOT (trace and manifest look-ups) is the repository's. Written to a temporary name and
 * renamed, so concurrent sweeps never read half a file; bundles of older sources are removed
 * once an hour old.
 */

export const BUNDLE_DIR = join(REPO_ROOT, '.cache', 'sweep-worker');
const ENTRY = join(REPO_ROOT, 'src', 'sweep', 'worker-main.ts');

function sourceFiles(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|js|mjs|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Hash of the bundle's inputs: every source file's path and bytes under src/ and policies/, and the bundler's version. */
export function sourceHash(esbuildVersion: string): string {
  const h = createHash('sha256').update(`esbuild ${esbuildVersion}\n`);
  const files = [...sourceFiles(join(REPO_ROOT, 'src'), []), ...sourceFiles(join(REPO_ROOT, 'policies'), [])].sort();
  for (const f of files) h.update(`${relative(REPO_ROOT, f)}\n`).update(readFileSync(f)).update('\n');
  return h.digest('hex').slice(0, 16);
}

/**
 * Path of the worker bundle for the current sources, built if absent. Throws when it cannot be
 * built (esbuild missing, say, where dev dependencies were not installed); callers fall back to
 * running in this thread.
 */
export async function sweepWorkerBundle(): Promise<{ file: string; built: boolean; ms: number }> {
  const t0 = performance.now();
  const esbuild = await import('esbuild');
  const file = join(BUNDLE_DIR, `${sourceHash(esbuild.version)}.mjs`);
  if (existsSync(file)) return { file, built: false, ms: performance.now() - t0 };
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.floor(performance.now())}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [ENTRY],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  // Bundles of earlier sources: removed once an hour old (a sweep started just before may still start workers from one).
  for (const old of readdirSync(BUNDLE_DIR)) {
    const p = join(BUNDLE_DIR, old);
    if (p !== file && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { force: true });
  }
  return { file, built: true, ms: performance.now() - t0 };
}
