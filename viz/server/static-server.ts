import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inside, sendFile } from './send-file.ts';

/** Serves a built viewer (viz:build output) on 127.0.0.1; port 0 picks a free one. */
export async function serveStatic(root: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const file = inside(root, path.endsWith('/') ? path + 'index.html' : path);
    if (!file) {
      res.statusCode = 403;
      res.end('forbidden');
      return;
    }
    sendFile(req, res, file);
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const { port: p } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${p}/` };
}
