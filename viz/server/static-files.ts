import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import { constants, createGunzip } from 'node:zlib';
import sirv from 'sirv';

/**
 * Serves the files under `root` with sirv: single byte ranges (`Range: bytes=N-` is how the viewer
 * reads the tail of a growing events.jsonl; 206 / 416), no caching and a fresh stat on every
 * request (`dev` mode), so a log that grows or a site rebuilt while the server runs is served as
 * it is now. In front of sirv: a URL whose percent-escapes do not decode is answered 400, one that
 * decodes to a path outside `root` 403, and a `Range` header other than one `bytes=N-[M]` with
 * M >= N is ignored (the whole file, 200, as RFC 9110 allows). A `.jsonl` that exists only
 * gzipped (`npm run sim -- --gzip` writes events.jsonl.gz) is answered decompressed under its own
 * name, ranges counted in its decompressed bytes (`gunzipped`). Never throws on a request.
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
    if (abs.endsWith('.jsonl') && !existsSync(abs) && existsSync(abs + '.gz')) return gunzipped(abs + '.gz', req, res);
    try {
      serve(req, res);
    } catch (e) {
      if (!res.headersSent) answer(res, 500, (e as Error).message);
      else res.destroy();
    }
  };
}

/**
 * Answers with the decompressed bytes of gzipped file `gz`, from the first byte a `Range: bytes=N-[M]`
 * asks for (206), or all of them (200); 416 when the file holds no byte at N. No Content-Length (not
 * known before the end). A file still being written (no gzip trailer yet) is answered with what
 * decompresses so far: OutFile ends each write on a sync flush.
 */
function gunzipped(gz: string, req: IncomingMessage, res: ServerResponse): void {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const from = m ? Number(m[1]) : 0;
  const to = m && m[2] !== '' ? Number(m[2]) + 1 : Infinity;
  const input = createReadStream(gz);
  const unzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  let at = 0;
  let started = false;
  const start = () => {
    started = true;
    res.statusCode = m ? 206 : 200;
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    if (m) res.setHeader('Content-Range', `bytes ${from}-${to === Infinity ? '' : to - 1}/*`);
    if (req.method === 'HEAD') {
      res.end();
      input.destroy();
    }
  };
  const fail = (e: Error) => {
    input.destroy();
    if (!started) answer(res, 500, `${gz}: ${e.message}`);
    else res.destroy();
  };
  input.on('error', fail);
  unzip.on('error', fail);
  unzip.on('data', (chunk: Buffer) => {
    const a = Math.max(from - at, 0);
    const b = Math.min(to - at, chunk.length);
    at += chunk.length;
    if (b <= a) return;
    if (!started) start();
    if (res.writableEnded) return;
    if (!res.write(chunk.subarray(a, b))) {
      unzip.pause();
      res.once('drain', () => unzip.resume());
    }
    if (at >= to) {
      res.end();
      input.destroy();
    }
  });
  unzip.on('end', () => {
    if (!started) {
      if (m) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${at}`);
        return res.end();
      }
      start();
    }
    if (!res.writableEnded) res.end();
  });
  res.on('close', () => input.destroy());
  input.pipe(unzip);
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
