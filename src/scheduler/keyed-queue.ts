import type { Job, JobView } from '../jobs/job.ts';
import type { SchedulerView } from './policy.ts';

/** A sort key over queued jobs (`SchedulerView.queuedBy`): a pure function of what a job keeps while queued. */
export type QueueKey = (j: JobView) => number;

const MAX_LEVEL = 32;

/** An entry of a `KeyedQueue`: one queued job under one ticket, with its key read when it entered. */
class Entry {
  gone = false;
  constructor(
    readonly job: Job | undefined,
    readonly key: number,
    readonly submit: number,
    readonly ticket: number,
    /** The next entry at each level of the skip list (level 0 links every entry). */
    readonly next: (Entry | undefined)[],
  ) {}
}

/** A place in a keyed order: its key, then queue order (submit, ticket). */
interface Place {
  readonly key: number;
  readonly submit: number;
  readonly ticket: number;
}

/**
 * A queued job read under another key than the one it entered with (`SchedulerView.queuedBy`'s
 * `moved`: an aging or promoting policy's few jobs whose key has changed while they waited).
 */
export interface MovedJob extends Place {
  readonly job: Job;
}

/** Whether moved job `m` is still queued under the ticket it was moved with (not started, not requeued since). */
function stillQueued(m: MovedJob): boolean {
  return m.job.queueTicket === m.ticket;
}

/** Whether `a` comes before `b`: by key, then queue order (submit, ticket). */
function before(a: Place, b: Place): boolean {
  return a.key !== b.key ? a.key < b.key : a.submit !== b.submit ? a.submit < b.submit : a.ticket < b.ticket;
}

/**
 * Queued jobs in ascending order of a key, ties in queue order ((submit, ticket), valid while the
 * queue is in submit order), as a skip list: O(log n) expected to enter or leave, O(1) a step to
 * read. A job that leaves is unlinked at once but its entry keeps its level-0 `next`, so an
 * iteration standing on it goes on to what followed it (a scheduling pass starting the jobs it
 * read). The levels are drawn from a fixed xorshift stream: they shape the list, never its order.
 */
export class KeyedQueue {
  private readonly head = new Entry(undefined, 0, 0, 0, new Array<Entry | undefined>(MAX_LEVEL).fill(undefined));
  private level = 1;
  private seed = 0x9e3779b9;
  private readonly entryOf = new Map<Job, Entry>();
  /** `insert`'s and `remove`'s path, reused. */
  private readonly path: Entry[] = new Array<Entry>(MAX_LEVEL);

  constructor(readonly key: QueueKey) {}

  insert(j: Job, ticket: number): void {
    const key = this.key(j);
    if (Number.isNaN(key)) throw new Error(`queuedBy: the key gave NaN for job ${j.id} (a sort key must be a number)`);
    const levels = this.drawLevel();
    const e = new Entry(j, key, j.submit, ticket, new Array<Entry | undefined>(levels).fill(undefined));
    const path = this.find(e);
    if (levels > this.level) {
      for (let i = this.level; i < levels; i++) path[i] = this.head;
      this.level = levels;
    }
    for (let i = 0; i < levels; i++) {
      e.next[i] = path[i].next[i];
      path[i].next[i] = e;
    }
    this.entryOf.set(j, e);
  }

  remove(j: Job): void {
    const e = this.entryOf.get(j)!;
    this.entryOf.delete(j);
    e.gone = true;
    const path = this.find(e);
    for (let i = 0; i < e.next.length; i++) if (path[i].next[i] === e) path[i].next[i] = e.next[i];
    while (this.level > 1 && this.head.next[this.level - 1] === undefined) this.level--;
  }

  /** Whether `j` is queued here (under the ticket it holds now). */
  has(j: Job): boolean {
    return this.entryOf.get(j)?.ticket === j.queueTicket;
  }

  /** The key queued job `j` entered with. */
  keyOf(j: Job): number {
    return this.entryOf.get(j)!.key;
  }

  /** The first queued job, or undefined when none is left. */
  first(): Job | undefined {
    return this.head.next[0]?.job;
  }

  /** Whether the first job of `a` comes before the first job of `b` (both present). */
  static headsInOrder(a: KeyedQueue, b: KeyedQueue): boolean {
    return before(a.head.next[0]!, b.head.next[0]!);
  }

  /** The queued jobs in order, read as iterated. */
  *walk(): Generator<Job> {
    for (let e = this.head.next[0]; e !== undefined; e = e.next[0]) if (!e.gone) yield e.job!;
  }

  /**
   * The queued jobs in order with `moved` (sorted by `before`, each queued here) read under their
   * new keys: the jobs of `moved` are passed over where they entered and yielded where their new
   * key puts them. Read as iterated (jobs it yielded may leave meanwhile).
   */
  *walkWith(moved: readonly MovedJob[]): Generator<Job> {
    const skip = new Set<Job>();
    for (const m of moved) skip.add(m.job);
    let e = this.head.next[0];
    let i = 0;
    for (;;) {
      while (e !== undefined && (e.gone || skip.has(e.job!))) e = e.next[0];
      while (i < moved.length && !stillQueued(moved[i])) i++;
      if (e === undefined && i === moved.length) return;
      if (i < moved.length && (e === undefined || before(moved[i], e))) yield moved[i++].job;
      else {
        const j = e!.job!;
        e = e!.next[0];
        yield j;
      }
    }
  }

  /**
   * `QueueIndex.walkByKeyAndShape` with moved jobs: the per-shape indexes `lists` (each with its
   * shape) merged by their heads as `mergeWalk` does, the jobs of `moved` (sorted, each queued in
   * one of them) passed over there and visited from a list of their own, merged in by their new
   * keys. `visit` as `mergeWalk`'s; a shape that does not fit (false), whichever list its job came
   * from, is done with for the rest of the walk in both. O((started + lists + moved) · log lists).
   */
  static walkByShapeWith(lists: readonly { queue: KeyedQueue; shape: string }[], moved: readonly MovedJob[], shapeOf: (j: Job) => string, visit: (j: Job) => boolean | 'stop'): void {
    const skip = new Set<Job>();
    for (const m of moved) skip.add(m.job);
    const dropped = new Set<string>();
    // A cursor: a shape's list (its entry `e`) or the moved jobs (index `i`, `shape` undefined).
    interface Cursor {
      shape: string | undefined;
      e: Entry | undefined;
      i: number;
      at: Place | undefined;
    }
    /** Moves `c` to its next job to visit (`at`; undefined when none is left). */
    const settle = (c: Cursor): Place | undefined => {
      if (c.shape !== undefined) {
        let e = c.e;
        if (!dropped.has(c.shape)) while (e !== undefined && (e.gone || skip.has(e.job!))) e = e.next[0];
        else e = undefined;
        c.e = e;
        c.at = e;
      } else {
        let i = c.i;
        while (i < moved.length && (!stillQueued(moved[i]) || dropped.has(shapeOf(moved[i].job)))) i++;
        c.i = i;
        c.at = i < moved.length ? moved[i] : undefined;
      }
      return c.at;
    };
    const heap: Cursor[] = [];
    for (const l of lists) {
      const c: Cursor = { shape: l.shape, e: l.queue.head.next[0], i: 0, at: undefined };
      if (settle(c)) heap.push(c);
    }
    if (moved.length > 0) {
      const c: Cursor = { shape: undefined, e: undefined, i: 0, at: undefined };
      if (settle(c)) heap.push(c);
    }
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) return;
        const c = l + 1 < heap.length && before(heap[l + 1].at!, heap[l].at!) ? l + 1 : l;
        if (!before(heap[c].at!, heap[i].at!)) return;
        const t = heap[i];
        heap[i] = heap[c];
        heap[c] = t;
        i = c;
      }
    };
    const dropTop = () => {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    while (heap.length > 0) {
      const c = heap[0];
      const was = c.at;
      const at = settle(c);
      if (at === undefined) {
        dropTop();
        continue;
      }
      // Its head moved on (a job of it left, or its shape was dropped meanwhile): back to its place first.
      if (at !== was) {
        down(0);
        if (heap[0] !== c) continue;
      }
      const j = c.shape !== undefined ? c.e!.job! : moved[c.i].job;
      const r = visit(j);
      if (r === 'stop') return;
      if (r) continue; // started: it has left, `settle` moves past it
      dropped.add(c.shape ?? shapeOf(j));
      if (c.shape !== undefined) dropTop();
      else c.i++;
    }
  }

  /** For each level, the last entry before `e`. */
  private find(e: Entry): Entry[] {
    const path = this.path;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== undefined && n !== e && before(n, e); n = x.next[i]) x = n;
      path[i] = x;
    }
    return path;
  }

  /** 1 + the number of trailing heads in a row of fair coin flips (xorshift32), at most MAX_LEVEL. */
  private drawLevel(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    let level = 1;
    while (level < MAX_LEVEL && (x & (1 << (level - 1))) !== 0) level++;
    return level;
  }
}

/**
 * What `SchedulerView.queuedBy` returns: an iterable over a `KeyedQueue`, which the core that
 * owns the queue may also walk shape by shape (`QueueIndex.walkByKeyAndShape`).
 */
export class KeyedWalk implements Iterable<Job> {
  constructor(
    readonly queue: KeyedQueue,
    /** Jobs read under a new key (`queuedBy`'s `moved`), sorted; empty for none. */
    readonly moved: readonly MovedJob[] = [],
  ) {}
  [Symbol.iterator](): Iterator<Job> {
    return this.moved.length === 0 ? this.queue.walk() : this.queue.walkWith(this.moved);
  }

  /** The key `j` (queued) is read under in this walk. */
  keyOf(j: Job): number {
    for (const m of this.moved) if (m.job === j) return m.key;
    return this.queue.keyOf(j);
  }
}

/**
 * Stable sort of `jobs` by `key` ascending (ties keep the given order): what a `KeyedQueue` walk
 * yields over a queue. A job of `moved` is sorted by its key there instead.
 */
export function byKey<J extends JobView>(jobs: readonly J[], key: QueueKey, moved?: ReadonlyMap<JobView, number>): J[] {
  return jobs
    .map((j, i) => ({ j, i, k: moved?.get(j) ?? key(j) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.j);
}

/**
 * The queued jobs by ascending `key`, ties in queue order: the core's index (`view.queuedBy`) when
 * the view has one, else a stable sort of `view.queue`. A `lazyOrder` that returns it as it is lets
 * the core walk the index by shape.
 */
export function queuedByKey(view: SchedulerView, key: QueueKey, moved?: ReadonlyMap<JobView, number>): Iterable<JobView> {
  return view.queuedBy?.(key, moved) ?? byKey(view.queue, key, moved);
}
