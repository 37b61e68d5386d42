/// <reference lib="webworker" />
import { RunModel } from './run-model.ts';
import { DeltaEncoder, type Delta } from './wire.ts';

/**
 * The log worker: fetches each run's events.jsonl (HTTP Range for what is new), folds it with
 * RunModel off the page's thread and posts what changed as a Delta (src/wire.ts). A long read posts
 * early (a first frame from the part read so far) and then every 0.5 s (each costs the page an
 * append; the page redraws at most every 1.5 s while loading); every poll ends
 * with a delta that carries the metrics.
 *
 * Page → worker: `{ kind: 'poll', id, url }` (one run; url changes when a staged run is renamed).
 * Worker → page: `{ kind: 'progress', id, bytes, total, at }` (`total`: Content-Length or -1;
 * `at`: epoch ms of the first byte of this read), `{ kind: 'delta', id, delta, final }`,
 * `{ kind: 'done', id, folded }`, `{ kind: 'error', id, message }`.
 */

export type ToWorker = { kind: 'poll'; id: number; url: string };
export type FromWorker =
  | { kind: 'progress'; id: number; bytes: number; total: number; at: number }
  | { kind: 'delta'; id: number; delta: Delta; final: boolean; foldMs: number }
  | { kind: 'done'; id: number; folded: number }
  | { kind: 'error'; id: number; message: string };

/**
 * First partial post after this much folding; later ones this far apart (ms). Each post costs the
 * page an append proportional to what it carries, so posts are frequent and small; the page
 * draws at most one partial frame per 1.5 s of them (page-load.ts).
 */
const FIRST_POST_MS = 250;
const POST_EVERY_MS = 500;

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const now = () => performance.timeOrigin + performance.now();

class Feed {
  readonly model = new RunModel();
  readonly enc = new DeltaEncoder(this.model);
  /** Bytes of the log folded (complete lines) plus the partial line kept. */
  offset = 0;
  private partial = new Uint8Array(0);
  private readonly decoder = new TextDecoder();

  /** Folds the complete lines in `partial + bytes`; keeps the rest. Returns the records folded. */
  take(bytes: Uint8Array): number {
    let buf = bytes;
    if (this.partial.length > 0) {
      buf = new Uint8Array(this.partial.length + bytes.length);
      buf.set(this.partial);
      buf.set(bytes, this.partial.length);
    }
    const cut = buf.lastIndexOf(10);
    if (cut < 0) {
      this.partial = buf.slice();
      return 0;
    }
    const done = buf.slice(0, cut + 1);
    this.partial = buf.slice(cut + 1);
    const base = this.offset;
    this.offset += done.length;
    // Lines of the decoded text and of the bytes split at the same newlines (0x0A never occurs
    // inside a multi-byte UTF-8 character), so line k's bytes are [starts[k], ends[k]).
    const lines = this.decoder.decode(done).split('\n');
    lines.pop();
    const keep: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let a = 0;
    for (let k = 0; k < lines.length; k++) {
      const b = done.indexOf(10, a);
      if (lines[k].trim() !== '') {
        keep.push(lines[k]);
        starts.push(base + a);
        ends.push(base + b);
      }
      a = b + 1;
    }
    this.enc.addBytes(done, starts, ends);
    return this.model.addLines(keep);
  }

  get read(): number {
    return this.offset + this.partial.length;
  }
}

const feeds = new Map<number, Feed>();

function send(id: number, f: Feed, final: boolean, foldMs: number): void {
  const { delta, transfer } = f.enc.encode(final);
  post({ kind: 'delta', id, delta, final, foldMs }, transfer);
}

async function poll(id: number, url: string): Promise<void> {
  let f = feeds.get(id);
  if (!f) feeds.set(id, (f = new Feed()));
  const from = f.read;
  const res = await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {}, cache: 'no-store' });
  if (res.status === 416) return post({ kind: 'done', id, folded: 0 });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  // A server that ignores ranges answers 200 with the whole file: skip what was read.
  const skip = res.status === 206 ? 0 : from;
  const len = Number(res.headers.get('content-length') ?? -1);
  const total = len >= 0 ? (res.status === 206 ? from + len : len) : -1;
  const reader = res.body?.getReader();
  if (!reader) return post({ kind: 'done', id, folded: 0 });
  const at = now();
  let seen = 0;
  let folded = 0;
  let foldMs = 0;
  let lastPost = performance.now();
  let posts = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let bytes = value;
    if (seen + bytes.length <= skip) {
      seen += bytes.length;
      continue;
    }
    if (seen < skip) bytes = bytes.subarray(skip - seen);
    seen += value.length;
    const t0 = performance.now();
    folded += f.take(bytes);
    foldMs += performance.now() - t0;
    post({ kind: 'progress', id, bytes: f.read, total, at });
    if (performance.now() - lastPost >= (posts === 0 ? FIRST_POST_MS : POST_EVERY_MS)) {
      send(id, f, false, foldMs);
      posts++;
      lastPost = performance.now();
    }
  }
  send(id, f, true, foldMs);
  post({ kind: 'done', id, folded });
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.kind === 'poll') poll(m.id, m.url).catch((e: unknown) => post({ kind: 'error', id: m.id, message: (e as Error).message }));
};
