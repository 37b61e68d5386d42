import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the worker's JavaScript is. In the GPU bundle it sits next to the bundled CLI as
 * `worker.mjs`; from sources it is built once with esbuild into `.cache/live/worker.mjs`
 * (npm packages stay external and load from node_modules), so a cold start is a plain `node`
 * start, the same as on the GPU box. `GPULAB_WORKER_JS` overrides both.
 */
export async function workerScript(): Promise<string> {
  const override = process.env.GPULAB_WORKER_JS;
  if (override) return resolve(override);
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'worker.mjs');
  if (!here.endsWith('.ts') && existsSync(sibling)) return sibling;
  const src = join(dirname(here), 'worker.ts');
  const root = resolve(dirname(here), '..', '..');
  const out = join(root, '.cache', 'live', 'worker.mjs');
  if (existsSync(out) && statSync(out).mtimeMs >= newestSource(dirname(here))) return out;
  mkdirSync(dirname(out), { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [src],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return out;
}

function newestSource(dir: string): number {
  let t = 0;
  for (const f of ['worker.ts', 'protocol.ts', 'work-spec.ts', 'workloads/backend.ts', 'workloads/tensor-jobs.ts']) {
    try {
      t = Math.max(t, statSync(join(dir, f)).mtimeMs);
    } catch {
      // missing in a bundle
    }
  }
  return t;
}
