import type { Plugin } from 'vite';
import { buildManifest } from './manifest.ts';
import { staticFiles } from './static-files.ts';

/**
 * Vite plugin for `npm run viz`: serves `<output dir>` under `/data/`, with `/data/index.json`
 * built on every request so runs that appear (or logs that grow) while the page is open show up.
 */
export function dataPlugin(outDir: string): Plugin {
  return {
    name: 'gpulab-data',
    configureServer(server) {
      const files = staticFiles(outDir);
      // Mounted at /data: connect strips the prefix from req.url.
      server.middlewares.use('/data', (req, res) => {
        if ((req.url ?? '').split('?')[0] === '/index.json') {
          try {
            res.setHeader('Content-Type', 'application/json; charset=utf-8');
            res.setHeader('Cache-Control', 'no-store');
            res.end(JSON.stringify(buildManifest(outDir, true)));
          } catch (e) {
            res.statusCode = 500;
            res.end((e as Error).message);
          }
          return;
        }
        files(req, res);
      });
    },
  };
}
