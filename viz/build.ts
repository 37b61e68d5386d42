import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { buildSite } from './server/build-site.ts';

const HELP = `usage: npm run viz:build -- [output dir] [--dist DIR]

Builds the schedule viewer as a static site with a scenario output directory's data bundled
under data/ (default: out/quickstart into dist/viz). Publish the folder with any static file
server, or preview it with: npm run viz -- --site dist/viz`;

const args = parseArgs({ allowPositionals: true, options: { dist: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
if (args.values.help) {
  process.stdout.write(HELP + '\n');
  process.exit(0);
}
const outDir = resolve(args.positionals[0] ?? join('out', 'quickstart'));
const dist = resolve(args.values.dist ?? join('dist', 'viz'));
try {
  await buildSite(outDir, dist);
  process.stdout.write(`static viewer with ${outDir} data: ${dist}\n`);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${HELP}\n`);
  process.exit(1);
}
