import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { createServer } from 'vite';
import { dataPlugin } from './server/data-plugin.ts';
import { buildManifest } from './server/manifest.ts';
import { VIZ_ROOT } from './server/build-site.ts';
import { serveStatic } from './server/static-server.ts';

const HELP = `usage: npm run viz -- [output dir] [--port N] [--open] [--site DIR]

Serves the schedule viewer on http://127.0.0.1 with a scenario output directory's runs
(default out/quickstart, as written by npm run sim). Logs that grow while the page is open
(live runs) are re-read every few seconds.
  --port N     port (default 5174)
  --open       open a browser
  --site DIR   serve a site built by npm run viz:build instead of the dev server
               (with an output dir too: that directory's data, followed live)`;

const args = parseArgs({
  allowPositionals: true,
  options: { port: { type: 'string' }, open: { type: 'boolean', default: false }, site: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
});
if (args.values.help) {
  process.stdout.write(HELP + '\n');
  process.exit(0);
}
const port = args.values.port === undefined ? 5174 : Number(args.values.port);
if (!Number.isInteger(port) || port < 0) {
  process.stderr.write(`--port: expected an integer, got '${args.values.port}'\n`);
  process.exit(2);
}
if (args.values.site) {
  const data = args.positionals[0] === undefined ? undefined : resolve(args.positionals[0]);
  const { url } = await serveStatic(resolve(args.values.site), port, { data });
  process.stdout.write(`gpulab viz (static site ${args.values.site}): ${url}\n`);
} else {
  const outDir = resolve(args.positionals[0] ?? join('out', 'quickstart'));
  try {
    const m = buildManifest(outDir, true);
    process.stdout.write(`${m.kind}: ${m.runs.length} event log(s)${m.fgdCurve ? ', fgd-curve.csv' : ''} in ${outDir}${m.summary ? '' : ' (no summary.json yet)'}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${HELP}\n`);
    process.exit(1);
  }
  const server = await createServer({
    configFile: join(VIZ_ROOT, 'vite.config.ts'),
    root: VIZ_ROOT,
    plugins: [dataPlugin(outDir)],
    server: { host: '127.0.0.1', port, open: args.values.open },
  });
  await server.listen();
  server.printUrls();
}
