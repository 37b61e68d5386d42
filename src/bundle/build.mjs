// Plain JavaScript (not TypeScript) so that the CLI launcher (src/cli/launch.mjs) can use it
// before any TypeScript loader runs; types in build.d.mts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is src/bundle/build.mjs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|js|mjs|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Hash of a bundle's inputs: every source file's path and bytes under src/ and policies/, the entry, and the bundler's version. */
export function sourceHash(esbuildVersion, entry) {
  const h = createHash('sha256').update(`esbuild ${esbuildVersion}\n${relative(ROOT, entry)}\n`);
  const files = [...sourceFiles(join(ROOT, 'src'), []), ...sourceFiles(join(ROOT, 'policies'), [])].sort();
  for (const f of files) h.update(`${relative(ROOT, f)}\n`).update(readFileSync(f)).update('\n');
  return h.digest('hex').slice(0, 16);
}

/**
 * Node options a simulating process starts with (`npm run sim`, the benchmarks' child runs): a
 * young generation of 2 x 64 MiB instead of V8's 2 x 16 MiB. A run's jobs, events and records
 * live for a few thousand events; with the small one many outlive a scavenge, are promoted and
 * cost full collections. Measured on the 2-core dev machine (README "Performance"): 300,000 jobs
 * in process 15-26 % less time, about 100 MiB more peak memory. V8 reads it only at start-up.
 */
export const RUN_NODE_OPTIONS = ['--max-semi-space-size=64'];

/**
 * Runs CLI `name` (src/cli/<name>.ts) from its TypeScript sources under tsx, in a child process
 * sharing this one's terminal, with `args` and this process's heap options; returns its exit
 * code. Sets GPULAB_BUNDLED=0.
 */
export function runSourceCli(name, args) {
  const heap = process.execArgv.filter((a) => /^--max-(semi|old)-space-size=/.test(a));
  const r = spawnSync(process.execPath, [...heap, '--import', 'tsx', join(ROOT, 'src', 'cli', `${name}.ts`), ...args], { stdio: 'inherit', env: { ...process.env, GPULAB_BUNDLED: '0' } });
  return r.status ?? 1;
}

/**
 * The installed esbuild's version, read from its package.json (importing esbuild to ask took
 * about 30 ms of every CLI start); undefined when it cannot be read (the caller imports it, and
 * fails as it would without esbuild).
 */
function esbuildVersion() {
  try {
    return JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * `entry` (a TypeScript file of this repository) as one plain JavaScript file, built if absent:
 * esbuild bundles it with everything it imports from src/ and policies/ (packages stay imports,
 * resolved from the repository's node_modules) into `.cache/<name>/<hash>.mjs`, `<hash>` from
 * `sourceHash`, so an edit makes a new bundle and an unchanged tree reuses the last one. The
 * folder is two levels below the root, like src/trace/, so paths the code derives from its own
 * location (REPO_ROOT) stay the repository's. Written to a temporary name and renamed, so
 * concurrent builders never read half a file; bundles of older sources are removed once an hour
 * old. Throws when esbuild is missing (callers fall back to a TypeScript loader).
 */
export async function bundle(entry, name) {
  const t0 = performance.now();
  const dir = join(ROOT, '.cache', name);
  const file = join(dir, `${sourceHash(esbuildVersion() ?? (await import('esbuild')).version, entry)}.mjs`);
  if (existsSync(file)) return { file, built: false, ms: performance.now() - t0 };
  const esbuild = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.floor(performance.now())}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [entry],
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
  for (const old of readdirSync(dir)) {
    const p = join(dir, old);
    try {
      if (p !== file && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { force: true });
    } catch {
      // Removed meanwhile by another builder: nothing to do.
    }
  }
  return { file, built: true, ms: performance.now() - t0 };
}
