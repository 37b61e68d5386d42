import { closeSync, openSync, writeSync } from 'node:fs';
import type { JsonLogger } from '../live/json-log.ts';
import type { StateStore, StoreOp } from './state-store.ts';

/** Told, once its commit is done, whether it committed (false: the store refused it, nothing of it is kept). */
export type Settle = (committed: boolean) => void;

/**
 * Group commit: everything one instant produced — with the driver batching the arrivals of one
 * event-loop turn, every submission of that turn — goes to the store in one transaction (one
 * fsync); only then are its waiters answered and its records streamed to subscribers and written
 * to events.jsonl (one write per instant), so nothing shows what the store does not hold.
 *
 * A commit the store refuses (disk full, an I/O or SQLite error) fails for good: its waiters and
 * every later one are told `false` at once (the core has moved past what the store holds, so
 * nothing later may be promised either); `onRefused` runs once.
 */
export class GroupCommit {
  private ops: StoreOp[] = [];
  private lines: string[] = [];
  private settle: Settle[] = [];
  private queued = false;
  private readonly eventsFd: number;
  private readonly subscribers = new Set<(line: string) => void>();
  /** The store's error, once a commit was refused. */
  refusedBy: string | undefined;

  /** `onRefused`: called once, after the store refused a commit (its waiters were told `false`). */
  constructor(
    private readonly store: StateStore,
    eventsFile: string,
    private readonly log: JsonLogger,
    private readonly onRefused: (error: string) => void,
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

  /** Runs each of `fs` once the next commit is done, with whether it committed. */
  afterCommit(...fs: Settle[]): void {
    this.settle.push(...fs);
  }

  queue(): void {
    if (!this.queued) {
      this.queued = true;
      // The driver handles an instant synchronously: this runs after the whole instant.
      queueMicrotask(() => this.flush());
    }
  }

  /** Resolves once every event enqueued so far has been handled and its commit done: true when committed. */
  settled(): Promise<boolean> {
    return new Promise((r) => setImmediate(() => setImmediate(() => (this.queued ? this.settle.push(r) : r(this.refusedBy === undefined)))));
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
    if (this.refusedBy !== undefined) {
      for (const f of settle) f(false);
      return;
    }
    try {
      this.store.apply(ops);
    } catch (e) {
      // The store refused (disk full, I/O error): nothing of this instant is promised to anyone.
      this.refusedBy = (e as Error).message;
      this.log.error('store commit failed', { error: this.refusedBy, ops: ops.length, waiters: settle.length });
      for (const f of settle) f(false);
      this.onRefused(this.refusedBy);
      return;
    }
    // events.jsonl as it happens: the instant's records in one write, once they are committed.
    if (lines.length > 0) writeSync(this.eventsFd, lines.join('\n') + '\n');
    for (const f of settle) f(true);
    for (const s of this.subscribers) for (const l of lines) s(l);
  }

  /** Drops the subscribers and closes events.jsonl; the store stays open. */
  close(): void {
    this.subscribers.clear();
    closeSync(this.eventsFd);
  }
}
