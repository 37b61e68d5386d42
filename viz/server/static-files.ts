import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import sirv from 'sirv';

/**
 * Serves the files under `root` with sirv: single byte ranges (`Range: bytes=N-` is how the viewer
 * reads the tail of a growing events.jsonl; 206 / 416), no caching and a fresh stat on every
 * request (`dev` mode), so a log that grows or a site rebuilt while the server runs is served as
 * it is now. In front of sirv: a URL whose percent-escapes do not decode is answered 400, one that
 * decodes to a path outside `root` 403, and a `Range` header other than one `bytes=N-[M]` with
 * M >= N is ignored (the whole file, 200, as RFC 9110 allows). Never throws on a request.
 */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  const dir = resolve(root);
  const serve = sirv(dir, {
    dev: true,
    etag: false,
    setHeaders: (res, pathname) => {
      if (pathname.endsWith('.jsonl')) res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    },
    onNoMatch: (_req, res) => answer(res, 404, 'not found'),
  });
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return answer(res, 400, 'malformed percent-escape in the URL');
    }
    const abs = resolve(dir, '.' + decoded);
    if (abs !== dir && !abs.startsWith(dir + sep)) return answer(res, 403, 'outside the served directory');
    const range = req.headers.range;
    if (range !== undefined) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m || (m[2] !== '' && Number(m[2]) < Number(m[1]))) delete req.headers.range;
    }
    try {
      serve(req, res);
    } catch (e) {
      if (!res.headersSent) answer(res, 500, (e as Error).message);
      else res.destroy();
    }
  };
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
