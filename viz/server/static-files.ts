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
    const m = req.headers.range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range);
    const range = m && (m[2] === '' || Number(m[2]) >= Number(m[1])) ? { from: Number(m[1]), to: m[2] === '' ? Infinity : Number(m[2]) + 1 } : undefined;
    if (!range) delete req.headers.range;
    if (abs.endsWith('.jsonl') && !existsSync(abs) && existsSync(abs + '.gz')) return gunzipped(abs + '.gz', range, req, res);
    try {
      serve(req, res);
    } catch (e) {
      if (!res.headersSent) answer(res, 500, (e as Error).message);
      else res.destroy();
    }
  };
}

/**
 * Answers with the decompressed bytes of gzipped file `gz`: all of them (200, no Content-Length:
 * it is not known before the end), or those of `range` (`Range: bytes=N-[M]` as [N, M + 1): 206,
 * after a first pass that counts them; 416 when the file holds no byte at N). A file still being written (no
 * gzip trailer yet) is answered with what decompresses so far: OutFile ends each write on a sync
 * flush.
 */
function gunzipped(gz: string, range: { from: number; to: number } | undefined, req: IncomingMessage, res: ServerResponse): void {
  const head = (status: number, headers: Record<string, string>) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  };
  const fail = (e: Error) => {
    if (!res.headersSent) answer(res, 500, `${gz}: ${e.message}`);
    else res.destroy();
  };
  if (!range) {
    head(200, {});
    if (req.method === 'HEAD') return void res.end();
    return void decompress(gz, res, 0, Infinity, () => res.end(), fail);
  }
  const from = range.from;
  decompress(gz, res, 0, 0, (total) => {
    if (from >= total) {
      head(416, { 'Content-Range': `bytes */${total}` });
      return void res.end();
    }
    const to = Math.min(range.to, total);
    head(206, { 'Content-Range': `bytes ${from}-${to - 1}/${total}`, 'Content-Length': String(to - from) });
    if (req.method === 'HEAD') return void res.end();
    decompress(gz, res, from, to, () => res.end(), fail);
  }, fail);
}

/**
 * Streams the decompressed bytes [from, to) of `gz` into `res` (none when to <= from: a pass that
 * only counts), then calls `done` with how many bytes it decompressed. Stops reading once past
 * `to`, or when `res` closes.
 */
function decompress(gz: string, res: ServerResponse, from: number, to: number, done: (total: number) => void, fail: (e: Error) => void): void {
  const input = createReadStream(gz);
  const unzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  let at = 0;
  let over = false;
  const stop = () => {
    over = true;
    input.destroy();
    unzip.destroy();
  };
  const finish = () => {
    if (over) return;
    stop();
    res.off('close', stop);
    done(at);
  };
  const error = (e: Error) => {
    if (over) return;
    stop();
    fail(e);
  };
  input.on('error', error);
  unzip.on('error', error);
  res.once('close', stop);
  unzip.on('data', (chunk: Buffer) => {
    const a = Math.max(from - at, 0);
    const b = Math.min(to - at, chunk.length);
    at += chunk.length;
    if (b > a && !res.write(chunk.subarray(a, b))) {
      unzip.pause();
      res.once('drain', () => unzip.resume());
    }
    if (to !== Infinity && to > from && at >= to) finish();
  });
  unzip.on('end', finish);
  input.pipe(unzip);
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
