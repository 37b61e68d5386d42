import type { KeepDecision } from '../context/warm-pool-policy.ts';
import type { Template } from './template.ts';
import { SessionWorker, type WorkerOptions, type WorkerStart } from './session-worker.ts';
import { Reclaims } from './reclaims.ts';

/** One pooled worker: being built (no worker yet) or ready; `expires`: wall ms, Infinity for none. */
interface Slot {
  worker: SessionWorker | undefined;
  readonly expires: number;
  timer: NodeJS.Timeout | undefined;
  dropped: boolean;
}

/**
 * A template's warm pool sized by a warm-pool policy, the live twin of the simulator's warm state
 * (src/context/warm-state.ts): empty at start, never refilled on take. After a session of the
 * template ends, `released(decision)` applies the policy's answer the way the simulator does —
 * the released instance joins the pool (unless `keep` is 0 or `ttlMs` is 0), expiring `ttlMs`
 * after the release, then the longest-held go until at most `keep` remain. A take hands out the
 * most recently released ready worker (the simulator's choice too).
 *
 * One difference, on purpose: a session's worker is never reused (its files and processes are the
 * tenant's), so "joins the pool" builds a fresh worker from the template in the background. The
 * slot counts towards `keep` at once but serves a create only once built: a create that arrives
 * before then is cold here and warm in the simulator.
 */
export class PolicyPool {
  /** In release order: the front is the longest held. */
  private slots: Slot[] = [];
  private closed = false;
  private building = 0;
  private readonly reclaims = new Reclaims();
  lastError: string | undefined;
  /** Slots that expired (their TTL passed) unused. */
  recycled = 0;

  constructor(
    readonly template: Template,
    private readonly o: WorkerOptions,
    private readonly now: () => number = Date.now,
    private readonly start: (t: Template, o: WorkerOptions) => Promise<WorkerStart> = SessionWorker.start,
  ) {}

  /** Slots held now (built or building): the pool's size as the policy sees it. */
  get size(): number {
    return this.slots.length;
  }

  /** Workers ready to hand out now. */
  get available(): number {
    return this.slots.filter((s) => s.worker !== undefined).length;
  }

  /** The most recently released ready worker, or undefined (nothing is built in its place). */
  take(): SessionWorker | undefined {
    for (let k = this.slots.length - 1; k >= 0; k--) {
      const s = this.slots[k];
      if (!s.worker) continue;
      this.slots.splice(k, 1);
      if (s.timer) clearTimeout(s.timer);
      s.worker.onLost = undefined;
      return s.worker;
    }
    return undefined;
  }

  /** Applies a policy's decision after a release (see the class comment). */
  released(d: KeepDecision): void {
    if (this.closed) return;
    if (d.keep > 0 && d.ttlMs !== 0) {
      const expires = d.ttlMs === undefined ? Infinity : this.now() + d.ttlMs;
      const slot: Slot = { worker: undefined, expires, timer: undefined, dropped: false };
      if (d.ttlMs !== undefined) slot.timer = setTimeout(() => this.expire(slot), d.ttlMs).unref();
      this.slots.push(slot);
      this.building++;
      void this.start(this.template, this.o).then((r) => this.built(slot, r));
    }
    while (this.slots.length > d.keep) this.drop(this.slots[0]);
  }

  /** Resolves when no slot is still being built (tests, benchmarks). */
  async settled(): Promise<void> {
    while (!this.closed && this.slots.some((s) => !s.worker)) await new Promise((r) => setTimeout(r, 5));
  }

  private built(slot: Slot, r: WorkerStart): void {
    this.building--;
    if (r.kind === 'failed') {
      this.lastError = r.message;
      this.drop(slot);
      return;
    }
    if (slot.dropped || this.closed) return void this.reclaims.destroy(r.worker);
    slot.worker = r.worker;
    r.worker.onLost = (why) => {
      this.lastError = `pooled worker lost: ${why}`;
      this.drop(slot);
    };
  }

  private expire(slot: Slot): void {
    if (slot.dropped) return;
    this.recycled++;
    this.drop(slot);
  }

  /** Removes a slot; its worker (if built) is destroyed, one still building is destroyed when done. */
  private drop(slot: Slot): void {
    slot.dropped = true;
    if (slot.timer) clearTimeout(slot.timer);
    this.slots = this.slots.filter((s) => s !== slot);
    if (slot.worker) void this.reclaims.destroy(slot.worker);
  }

  /** Destroys every pooled worker (and any that finish building later); waits for the reclaims. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.slots]) this.drop(s);
    while (this.building > 0) await new Promise((r) => setTimeout(r, 20));
    await this.reclaims.all();
  }
}
