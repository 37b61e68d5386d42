import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { staticFiles } from './static-files.ts';

/** Serves a built viewer (viz:build output) on 127.0.0.1; port 0 picks a free one. */
export async function serveStatic(root: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(staticFiles(root));
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const { port: p } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${p}/` };
}
