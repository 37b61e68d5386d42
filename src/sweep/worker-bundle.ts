import { join } from 'node:path';
import { bundle } from '../bundle/build.mjs';
import { REPO_ROOT } from '../trace/resolve.ts';

/**
 * The sweep's worker code as one plain JavaScript file, so that a worker thread starts without a
 * TypeScript loader (the FGD study's old pool recompiled the sources in every worker). esbuild
 * bundles src/sweep/worker-main.ts with everything it imports from src/ and policies/ into
 * `.cache/sweep-worker/<hash>.mjs` (src/bundle/build.mjs: rebuilt when a source changes).
 */

const ENTRY = join(REPO_ROOT, 'src', 'sweep', 'worker-main.ts');

/**
 * Path of the worker bundle for the current sources, built if absent. Throws when it cannot be
 * built (esbuild missing, say, where dev dependencies were not installed); callers fall back to
 * running in this thread.
 */
export function sweepWorkerBundle(): Promise<{ file: string; built: boolean; ms: number }> {
  return bundle(ENTRY, 'sweep-worker');
}
