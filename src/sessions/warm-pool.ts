import type { Template } from './template.ts';
import { SessionWorker, type WorkerOptions, type WorkerStart } from './session-worker.ts';
import { Reclaims } from './reclaims.ts';

/** Longest pause between refill attempts after failed builds, ms (doubling from 500 ms). */
const MAX_BACKOFF_MS = 30_000;

/**
 * A template's warm pool: keeps `warmPool.size` workers built (setup done) ahead of demand. `take`
 * hands one out and starts a replacement in the background; a worker idle in the pool for
 * `idleRecycleSec` is destroyed and replaced by a fresh one; one that dies while pooled is
 * replaced too. Failed builds back off (0.5 s doubling to 30 s); `lastError` says why.
 */
export class WarmPool {
  private readonly ready: { worker: SessionWorker; timer: NodeJS.Timeout }[] = [];
  private starting = 0;
  private failures = 0;
  private backoff: NodeJS.Timeout | undefined;
  private closed = false;
  private fillQueued = false;
  private readonly waiters: (() => void)[] = [];
  private readonly reclaims = new Reclaims();
  lastError: string | undefined;
  /** Workers built and destroyed unused after idling `idleRecycleSec`. */
  recycled = 0;

  constructor(
    readonly template: Template,
    private readonly o: WorkerOptions,
    /** Builds under way at most: a burst of takes refills gradually instead of starving the machine. */
    private readonly parallelBuilds = 4,
    private readonly start: (t: Template, o: WorkerOptions) => Promise<WorkerStart> = SessionWorker.start,
  ) {}

  get size(): number {
    const w = this.template.warmPool;
    return w && 'size' in w ? w.size : 0;
  }

  /** Workers waiting in the pool now. */
  get available(): number {
    return this.ready.length;
  }

  /** The oldest pooled worker, or undefined; a replacement starts in the background. */
  take(): SessionWorker | undefined {
    const e = this.ready.shift();
    if (e) {
      clearTimeout(e.timer);
      e.worker.onLost = undefined;
    }
    this.fill();
    return e?.worker;
  }

  /**
   * Starts builds until ready + starting reaches the pool size, at most `parallelBuilds` at a time,
   * one per event-loop turn and never in the caller's turn: spawning a sandbox costs the event loop milliseconds, which would
   * otherwise land on the create that took a worker (20 creates at once: 20 spawns). Idempotent.
   */
  fill(): void {
    if (this.fillQueued) return;
    this.fillQueued = true;
    setImmediate(() => {
      this.fillQueued = false;
      if (this.closed || this.backoff !== undefined || this.ready.length + this.starting >= this.size || this.starting >= this.parallelBuilds) return;
      this.starting++;
      void this.start(this.template, this.o).then((r) => this.built(r));
      this.fill();
    });
  }

  /** Resolves when the pool holds `size` workers (or is closed). */
  full(): Promise<void> {
    if (this.closed || this.ready.length >= this.size) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  private built(r: WorkerStart): void {
    this.starting--;
    this.fill();
    if (r.kind === 'failed') {
      this.lastError = r.message;
      this.failures++;
      const ms = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.failures - 1));
      this.backoff ??= setTimeout(() => {
        this.backoff = undefined;
        this.fill();
      }, ms).unref();
      return;
    }
    this.failures = 0;
    const w = r.worker;
    if (this.closed) return void this.reclaims.destroy(w);
    const wp = this.template.warmPool;
    const recycleMs = (wp && 'idleRecycleSec' in wp ? wp.idleRecycleSec : 3600) * 1000;
    const entry = {
      worker: w,
      timer: setTimeout(() => {
        this.drop(w);
        this.recycled++;
        this.fill();
      }, recycleMs).unref(),
    };
    w.onLost = (why) => {
      this.lastError = `pooled worker lost: ${why}`;
      this.drop(w);
      this.fill();
    };
    this.ready.push(entry);
    if (this.ready.length >= this.size) for (const f of this.waiters.splice(0)) f();
  }

  private drop(w: SessionWorker): void {
    const i = this.ready.findIndex((e) => e.worker === w);
    if (i >= 0) {
      clearTimeout(this.ready[i].timer);
      this.ready.splice(i, 1);
    }
    void this.reclaims.destroy(w);
  }

  /** Destroys every pooled worker (and any that finish building later); waits for the reclaims. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.backoff) clearTimeout(this.backoff);
    for (const e of this.ready.splice(0)) {
      clearTimeout(e.timer);
      void this.reclaims.destroy(e.worker);
    }
    for (const f of this.waiters.splice(0)) f();
    while (this.starting > 0) await new Promise((r) => setTimeout(r, 20));
    await this.reclaims.all();
  }
}
