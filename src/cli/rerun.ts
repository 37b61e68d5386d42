import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../trace/resolve.ts';

/** Whether this CLI runs from the prebuilt bundle (src/cli/launch.mjs). */
export const bundled = (): boolean => process.env.GPULAB_BUNDLED === '1';

/**
 * Runs CLI `name` again with this process's arguments under tsx (the TypeScript sources), and
 * returns its exit code: for what the bundle cannot do (a scenario's `plugins` import gpulab's
 * sources, whose registry must be the CLI's).
 */
export function rerunUnderTsx(name: string): number {
  const entry = join(REPO_ROOT, 'src', 'cli', `${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, GPULAB_BUNDLED: '0' } });
  return r.status ?? 1;
}
