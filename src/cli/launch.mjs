// Starts a gpulab CLI (`node src/cli/launch.mjs <name> [args…]` runs src/cli/<name>.ts) from a
// prebuilt JavaScript bundle (src/bundle/build.mjs): no TypeScript is compiled at start-up, which
// under tsx took about a second of every run. The bundle is rebuilt when a source changes (the
// first run after an edit takes about half a second more). The CLI sees GPULAB_BUNDLED=1; one
// that needs the TypeScript sources (a scenario's `plugins`: user policy modules import gpulab's
// sources, which must be the same modules as the CLI's) runs itself again under tsx. Without
// esbuild (no dev dependencies), or with GPULAB_BUNDLED=0 in the environment, the CLI runs under
// tsx at once.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle, ROOT, runSourceCli } from '../bundle/build.mjs';

const name = process.argv[2];
if (!name || !/^[a-z-]+$/.test(name)) {
  process.stderr.write(`usage: node src/cli/launch.mjs <cli name> [args…] (got ${JSON.stringify(name ?? '')})\n`);
  process.exit(2);
}
const entry = join(ROOT, 'src', 'cli', `${name}.ts`);
const args = process.argv.slice(3);
let file;
try {
  file = (await bundle(entry, `cli-${name}`)).file;
} catch {
  file = undefined;
}
if (file === undefined || process.env.GPULAB_BUNDLED === '0') process.exit(runSourceCli(name, args));
process.setSourceMapsEnabled(true);
process.env.GPULAB_BUNDLED = '1';
process.argv.splice(2, 1); // the CLI reads its own arguments from argv[2] on
await import(pathToFileURL(file).href);
