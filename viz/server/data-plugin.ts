import type { Plugin } from 'vite';
import { buildManifest } from './manifest.ts';
import { inside, sendFile } from './send-file.ts';

/**
 * Vite plugin for `npm run viz`: serves `<output dir>` under `/data/`, with `/data/index.json`
 * built on every request so runs that appear (or logs that grow) while the page is open show up.
 */
export function dataPlugin(outDir: string): Plugin {
  return {
    name: 'gpulab-data',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        const m = /^\/data(\/.*)$/.exec(url.split('?')[0]);
        if (!m) return next();
        if (m[1] === '/index.json') {
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
        const file = inside(outDir, m[1]);
        if (!file) {
          res.statusCode = 403;
          res.end('outside the output directory');
          return;
        }
        sendFile(req, res, file);
      });
    },
  };
}
