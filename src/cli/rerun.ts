import { runSourceCli } from '../bundle/build.mjs';

/** Whether this CLI runs from the prebuilt bundle (src/cli/launch.mjs). */
export const bundled = (): boolean => process.env.GPULAB_BUNDLED === '1';

/**
 * Runs CLI `name` again with this process's arguments under tsx (the TypeScript sources), and
 * returns its exit code: for what the bundle cannot do (a scenario's `plugins` import gpulab's
 * sources, whose registry must be the CLI's).
 */
export function rerunUnderTsx(name: string): number {
  return runSourceCli(name, process.argv.slice(2));
}
