import { closeSync, openSync, writeSync } from 'node:fs';
import type { JsonLogger } from '../live/json-log.ts';
import type { StateStore, StoreOp } from './state-store.ts';

/**
 * Group commit: everything one instant produced — with the driver batching the arrivals of one
 * event-loop turn, every submission of that turn — goes to the store in one transaction (one
 * fsync); only then are its waiters answered and its records streamed to subscribers. The
 * records' lines also go to events.jsonl, one write per instant.
 */
export class GroupCommit {
  private ops: StoreOp[] = [];
  private lines: string[] = [];
  private settle: (() => void)[] = [];
  private queued = false;
  private readonly eventsFd: number;
  private readonly subscribers = new Set<(line: string) => void>();

  /** `onRefused`: called after the store refused a commit (nothing of that instant is answered). */
  constructor(
    private readonly store: StateStore,
    eventsFile: string,
    private readonly log: JsonLogger,
    private readonly onRefused: () => void,
  ) {
    this.eventsFd = openSync(eventsFile, 'a');
  }

  /** Adds `op` to the next commit and queues that commit. */
  push(op: StoreOp): void {
    this.ops.push(op);
    this.queue();
  }

  /** Adds `op` to the next commit without queueing it (the caller queues once it is done). */
  add(op: StoreOp): void {
    this.ops.push(op);
  }

  /** Adds a core record's events.jsonl line and its store operation, without queueing. */
  record(line: string, op: StoreOp): void {
    this.lines.push(line);
    this.ops.push(op);
  }

  /** Runs each of `fs` after the next commit succeeds. */
  afterCommit(...fs: (() => void)[]): void {
    this.settle.push(...fs);
  }

  queue(): void {
    if (!this.queued) {
      this.queued = true;
      // The driver handles an instant synchronously: this runs after the whole instant.
      queueMicrotask(() => this.flush());
    }
  }

  /** Resolves once every event enqueued so far has been handled and committed. */
  settled(): Promise<void> {
    return new Promise((r) => setImmediate(() => setImmediate(() => (this.queued ? this.settle.push(r) : r()))));
  }

  /** Live event stream: each committed record's JSON line; undefined when `max` streams are open. */
  subscribe(f: (line: string) => void, max: number): (() => void) | undefined {
    if (this.subscribers.size >= max) return undefined;
    this.subscribers.add(f);
    return () => this.subscribers.delete(f);
  }

  /** Commits what is pending now (idempotent when nothing is). */
  flush(): void {
    this.queued = false;
    const ops = this.ops;
    const lines = this.lines;
    const settle = this.settle;
    this.ops = [];
    this.lines = [];
    this.settle = [];
    // events.jsonl as it happens: the instant's records in one write.
    if (lines.length > 0) writeSync(this.eventsFd, lines.join('\n') + '\n');
    try {
      this.store.apply(ops);
    } catch (e) {
      // The store refused (disk full, I/O error): nothing of this instant is promised to anyone.
      this.log.error('store commit failed', { error: (e as Error).message });
      this.onRefused();
      return;
    }
    for (const f of settle) f();
    for (const s of this.subscribers) for (const l of lines) s(l);
  }

  /** Drops the subscribers and closes events.jsonl; the store stays open. */
  close(): void {
    this.subscribers.clear();
    closeSync(this.eventsFd);
  }
}
