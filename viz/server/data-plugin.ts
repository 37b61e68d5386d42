import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { buildManifest } from './manifest.ts';
import { staticFiles } from './static-files.ts';

/**
 * Answers requests for `<output dir>` (URLs relative to its mount point, e.g. `/index.json`):
 * `/index.json` is built on every request so runs that appear (or logs that grow, or a staged
 * run renamed into place) while the page is open show up; everything else is a file.
 */
export function dataHandler(outDir: string): (req: IncomingMessage, res: ServerResponse) => void {
  const files = staticFiles(outDir);
  return (req, res) => {
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
  };
}

/** Vite plugin for `npm run viz`: serves `<output dir>` under `/data/` (see `dataHandler`). */
export function dataPlugin(outDir: string): Plugin {
  return {
    name: 'gpulab-data',
    configureServer(server) {
      // Mounted at /data: connect strips the prefix from req.url.
      server.middlewares.use('/data', dataHandler(outDir));
    },
  };
}
