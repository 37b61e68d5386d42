import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataHandler } from './data-plugin.ts';
import { staticFiles } from './static-files.ts';

/**
 * Serves a built viewer (viz:build output) on 127.0.0.1; port 0 picks a free one. With
 * `opts.data`, `/data/` is that output directory served live (index.json rebuilt per request, as
 * `npm run viz` does), so a built viewer can follow a run that is still being written.
 */
export async function serveStatic(root: string, port = 0, opts: { data?: string } = {}): Promise<{ server: Server; url: string }> {
  const site = staticFiles(root);
  const data = opts.data ? dataHandler(opts.data) : undefined;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (data && (url === '/data' || url.startsWith('/data/'))) {
      req.url = url.slice('/data'.length) || '/';
      return data(req, res);
    }
    site(req, res);
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const { port: p } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${p}/` };
}
