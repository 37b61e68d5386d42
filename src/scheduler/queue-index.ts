import type { Job, JobView } from '../jobs/job.ts';
import { charge, FairWalk, RoundWalk, type Share, type Usage } from './fair-walk.ts';
import { fnv1a } from './fnv1a.ts';
import { JobShape, shapeHash } from './job-shape.ts';
import { byKey, KeyedQueue, KeyedWalk, type MovedJob, type QueueKey } from './keyed-queue.ts';
import { mergeWalk, siftDown, siftUp } from './merge-walk.ts';
import type { QueuedShape, SchedulerView, TenantView } from './policy.ts';

/**
 * The queue order itself (admission order): a queue policy whose `order` is this function (fifo)
 * lets the core walk the queue by shape (`ShapeList`) without building or scanning the order.
 */
export const queueOrder = (view: SchedulerView): readonly JobView[] => view.queue;

/**
 * The queued jobs of one shape in queue order, as entries (job, ticket). An entry is live while
 * its job is queued under that ticket; a job that leaves the queue leaves a dead entry behind,
 * skipped at the head and dropped when dead entries outnumber live ones.
 */
export class ShapeList extends JobShape {
  jobs: Job[] = [];
  tickets: number[] = [];
  head = 0;
  /**
   * Requeued entries not yet in `jobs` (in ticket order, any submit times): merged into their
   * places when the list is next read in queue order (`QueueIndex.head`), not spliced in one by one.
   */
  late: Job[] = [];
  lateTickets: number[] = [];
  /** Live entries. */
  count = 0;
  /** The next list whose shape has the same hash. */
  next: ShapeList | undefined = undefined;
  /** The walk by tenant that found this shape not to fit (`QueueIndex.walkByTenant`'s mark), 0 for none. */
  unfitIn = 0;
  private keyText: string | undefined = undefined;
  private fitText: string | undefined = undefined;
  constructor(
    j: Job,
    readonly hash: number,
    /** The tenant whose jobs it holds, in a queue split by tenant (`QueueIndex.byTenantShape`); '' otherwise. */
    readonly tenant: string,
  ) {
    super(j);
  }

  /** Its queued jobs by each key a walk by key and shape used (`QueueIndex.walkByKeyAndShape`). */
  private keyed: Map<QueueKey, KeyedQueue> | undefined = undefined;

  /** Its queued jobs by `key` (an empty index, the first time). */
  keyedBy(key: QueueKey): KeyedQueue {
    const m = (this.keyed ??= new Map());
    let k = m.get(key);
    if (k === undefined) m.set(key, (k = new KeyedQueue(key)));
    return k;
  }

  /** The list as text (built on first use): equal for equal shapes (and, in a queue split by tenant, the same tenant). */
  get key(): string {
    return (this.keyText ??= this.tenant === '' ? this.fitKey : `${this.fitKey}@${this.tenant}`);
  }

  /** The placement shape as text, whatever the tenant: equal for jobs a placement cannot tell apart. */
  get fitKey(): string {
    return (this.fitText ??= `${this.cpu}/${this.memory}/${this.gpus}/${this.milli}/${this.models}${this.mig ? `/${this.mig}` : ''}`);
  }
}

/**
 * One tenant's queued jobs in queue order, a doubly linked list. A job that leaves is unlinked at
 * once but keeps its `next`, so an iteration standing on it goes on to what followed it.
 */
interface TenantEntry {
  readonly job: Job;
  /** The job's ticket here (its place in queue order with its submit time). */
  readonly ticket: number;
  /** Its tenant's list of its shape. */
  readonly shape: TenantShape;
  prev: TenantEntry | undefined;
  next: TenantEntry | undefined;
  gone: boolean;
}
interface TenantList {
  first: TenantEntry | undefined;
  last: TenantEntry | undefined;
  /** The same jobs split by shape, each in queue order (the cursors of a walk by tenant). */
  readonly shapes: Map<ShapeList, TenantShape>;
}

/**
 * One tenant's queued jobs of one shape in queue order, `entries[head…]` (a job that leaves is
 * cut out: at the head by moving it on, elsewhere by a splice), and a walk's place in them.
 */
interface TenantShape {
  readonly list: ShapeList;
  entries: TenantEntry[];
  head: number;
  /** The first entry a walk has not passed (tried, or passed over as not fitting); set at each walk's start. */
  at: number;
}

/** A tenant's place in a walk by tenant (`QueueIndex.walkByTenant`): what it has passed, its tie-break keys, its next job to try and that job's key. */
interface TenantCursor {
  readonly name: string;
  /** The tenant (a fair walk's; a walk in rounds reads names only). */
  readonly t: TenantView | undefined;
  /** Its place in a walk in rounds' tenant order. */
  readonly rank: number;
  readonly shapes: readonly TenantShape[];
  /** Its usage with every job it has passed charged (a fair walk's). */
  readonly u: Usage;
  readonly attained: number;
  /** Jobs it has passed (tried, or passed over as not fitting). */
  passed: number;
  /** A job tried first (`walkByTenant`'s `first`) that started: charged and counted when the cursor comes to its place. */
  ghost: { readonly job: Job; readonly ticket: number } | undefined;
  /** The last of its jobs the walk came to (tried, or passed where it stood): where a 'reset' rewinds its passed shapes to. */
  last: TenantEntry | undefined;
  next: TenantShape | undefined;
  /** Where `next`'s job comes in the order: its share (a fair walk), or `passed` (rounds). */
  key: number;
}

/** What a walk by tenant's visit made of a job: started it, found its shape not to fit, asked to try it later, or ends the walk. */
export type TenantVisit = 'started' | 'unfit' | 'wait' | 'stop' | 'reset';

/**
 * The scheduler core's queue: queued jobs in admission order (requeued jobs back in submit order),
 * and the same jobs split by placement shape, each shape's list in queue order, so that
 *  - a pass in queue order can walk the shapes' heads merged (`ShapeList`s by `before`) instead of
 *    the whole queue, dropping a shape once it is known not to fit;
 *  - a pass in any order can stop once every queued shape is known not to fit (`shapeCount`).
 * Jobs that leave (start, cancel, reject) leave lazily: the array `jobs` is rebuilt when next read.
 */
export class QueueIndex {
  /**
   * `byTenantShape`: one list per tenant and shape, not per shape, so that a walk can drop one
   * tenant's jobs of a shape (a start gate's refusal that holds for the tenant and shape, see
   * `AdmissionPolicy.claims`). `shapeOf` and `shapeCount` then count lists; `fitKeyOf` is the
   * placement shape whatever the tenant.
   */
  constructor(readonly byTenantShape = false) {}
  private items: Job[] = [];
  /** The ticket each entry of `items` was filed under: an entry is live while its job still holds it. */
  private itemTickets: number[] = [];
  /**
   * Requeued entries not yet in `items` (while `ordered`): merged into their places, in (submit,
   * ticket) order, when `jobs` is next read or the queue is compacted. A requeue in the middle of
   * a long queue was an O(queue) splice of `items` and of its shape's list (a preempting policy
   * under overload requeues a job or more per pass).
   */
  private late: Job[] = [];
  private lateTickets: number[] = [];
  /** Entries of `items` whose job is no longer queued. */
  private dead = 0;
  private live = 0;
  private maxSubmit = -Infinity;
  /** Every push so far came in submit order: queue order is (submit, ticket) order. */
  private submitOrdered = true;
  /** Shape hash → the lists with that hash (chained by `next`). */
  private readonly shapes = new Map<number, ShapeList>();
  /** Lists with queued jobs. */
  private shapeLists = 0;
  /** Emptied lists still in `shapes` (kept for their shape's next job). */
  private emptyLists = 0;
  /** `walkByShape`'s heap of shape lists, reused from walk to walk. */
  private heap: ShapeList[] = [];
  /** `walkByKeyAndShape`'s heap, reused from walk to walk. */
  private keyedHeap: KeyedQueue[] = [];
  /** The keys whose walks went by shape: each shape list keeps its jobs by them (`ShapeList.keyedBy`). */
  private readonly shapeKeys = new Set<QueueKey>();
  /**
   * Per tenant, its queued jobs in queue order (`tenantJobs`), and each queued job's entry there:
   * built on the first `tenantJobs` (a queue policy with a lazy order), kept from then on.
   */
  private readonly tenants = new Map<string, TenantList>();
  private readonly entryOf = new Map<Job, TenantEntry>();
  private byTenant = false;
  /** The last walk by tenant's mark (`ShapeList.unfitIn`). */
  private walkMark = 0;
  /** Per key function, its queued jobs in key order (`sortedBy`): built on first use, kept from then on. */
  private readonly keyed = new Map<QueueKey, KeyedQueue>();

  /** Queued jobs in queue order. The array is replaced when the queue changes, never mutated in place by callers. */
  get jobs(): readonly Job[] {
    if (this.dead > 0 || this.late.length > 0) this.compact();
    return this.items;
  }

  get length(): number {
    return this.live;
  }

  /** Distinct shapes among queued jobs. */
  get shapeCount(): number {
    return this.shapeLists;
  }

  /**
   * True while queue order is (submit, ticket) order, which `before` compares: every job was
   * admitted in submit order (a simulation; a live run whose submit times went backwards is not).
   */
  get ordered(): boolean {
    return this.submitOrdered;
  }

  /** The list of queued job `j`, as text (`ShapeList.key`): its shape, and its tenant when split `byTenantShape`. */
  shapeOf(j: Job): string {
    return this.listFor(j)!.key;
  }

  /** The placement shape of queued job `j`, as text (`ShapeList.fitKey`), whatever its tenant. */
  fitKeyOf(j: Job): string {
    return this.listFor(j)!.fitKey;
  }

  /** Appends an admitted job. */
  push(j: Job): void {
    if (j.submit < this.maxSubmit) {
      if (this.submitOrdered) {
        // The requeued entries not yet merged go to their places first: unordered, entries are placed at once.
        this.compact();
        for (const l of this.allLists()) this.settleList(l);
      }
      this.submitOrdered = false;
      // Their ties were by (submit, ticket): from now on sortedBy sorts.
      this.keyed.clear();
      this.shapeKeys.clear();
    } else this.maxSubmit = j.submit;
    if (this.dead > this.live + 1024) this.compact();
    this.items.push(j);
    this.itemTickets.push(this.enter(j, false));
  }

  /**
   * Puts a stopped job back in submit order, after jobs submitted at the same time (Kueue requeues
   * by creation time): its entries wait in the side lists (`late`) and go to their places, in
   * (submit, ticket) order, when the queue or the shape's list is next read in order. Dead entries
   * stay where they are until a compaction: no O(queue) work per requeue.
   */
  requeue(j: Job): void {
    const ticket = this.enter(j, true);
    if (this.submitOrdered) {
      this.late.push(j);
      this.lateTickets.push(ticket);
      // Merged when read; at the latest once they are an eighth of the queue (O(1) amortised a requeue).
      if (this.late.length > 1024 + (this.live >> 3)) this.compact();
      return;
    }
    const items = this.items;
    let at = items.findIndex((q) => q.submit > j.submit);
    if (at < 0) at = items.length;
    items.splice(at, 0, j);
    this.itemTickets.splice(at, 0, ticket);
  }

  /** A job left the queue by starting. */
  started(j: Job): void {
    this.leave(j);
  }

  /** A queued job left the queue otherwise (cancelled, rejected): its state is no longer `queued`. */
  remove(j: Job): void {
    this.leave(j);
  }

  /** The shapes with queued jobs; each list's head is its first queued job (`head`). */
  lists(): ShapeList[] {
    const out: ShapeList[] = [];
    for (let l of this.shapes.values()) for (; l !== undefined; l = l.next!) if (l.count > 0) out.push(l);
    return out;
  }

  /** The first queued job of a shape, or undefined when none is left. */
  head(l: ShapeList): Job | undefined {
    if (l.late.length > 0) this.settleList(l);
    const { jobs, tickets } = l;
    while (l.head < jobs.length) {
      const j = jobs[l.head];
      if (j.queueTicket === tickets[l.head]) return j;
      l.head++;
    }
    return undefined;
  }

  /**
   * Tenant `name`'s queued jobs in queue order, read as the iteration goes. It may go on while
   * the jobs it has yielded leave the queue (a scheduling pass starting the jobs of a lazy order):
   * it then yields the jobs after them that are still queued. O(1) a step. While the queue is not
   * in submit order (`ordered`), a filter of `jobs`.
   */
  tenantJobs(name: string): Iterable<Job> {
    if (!this.submitOrdered) return this.jobs.filter((j) => j.tenant === name);
    this.linkTenants();
    const l = this.tenants.get(name);
    return l === undefined ? [] : walkTenant(l);
  }

  /** From the first call on, every queued job is kept in its tenant's list too. */
  private linkTenants(): void {
    if (this.byTenant) return;
    this.byTenant = true;
    for (const j of this.jobs) this.enterTenant(j, false, this.listFor(j)!);
  }

  /** `SchedulerView.queuedFairly`: the progressive-filling order by `share` over the tenants' queues, which `walkByTenant` can walk. */
  fairly(view: SchedulerView, share: Share): FairWalk {
    if (this.submitOrdered) this.linkTenants();
    return new FairWalk(this, view, share, (name) => this.tenantJobs(name));
  }

  /** `SchedulerView.queuedInRounds`: one job per tenant per round, tenants in `names`' order, which `walkByTenant` can walk. */
  inRounds(names: readonly string[]): RoundWalk {
    if (new Set(names).size !== names.length) throw new Error(`queuedInRounds: a tenant named twice in ${JSON.stringify(names)}`);
    if (this.submitOrdered) this.linkTenants();
    return new RoundWalk(this, names, (name) => this.tenantJobs(name));
  }

  /** Whether `order` is a `fairly` or `inRounds` walk of this queue, still valid (one `walkByTenant` may take). */
  isTenantWalk(order: unknown): order is FairWalk | RoundWalk {
    return (order instanceof FairWalk || order instanceof RoundWalk) && order.owner === this && this.submitOrdered && this.byTenant;
  }

  /**
   * Walks `w`'s order, trying each job with `visit` as a pass reading the order job by job would,
   * but passing over the jobs of shapes `visit` found not to fit in this walk in bulk. Both orders
   * rank a job by where it stands in its tenant's queue, counting every job before it whatever
   * its shape:
   *  - `FairWalk` (`fairPicks`): with shares that never drop as usage grows, the order is each
   *    job's share with every job before it in its tenant's queue charged to the tenant's usage,
   *    ties by attained service, then tenant name, then queue order;
   *  - `RoundWalk` (`roundPicks`): the order is each job's place in its tenant's queue (its
   *    round), ties by the tenant's place in `names`.
   * So a tenant's next job to try is the first of its queue whose shape is not known unfit, and
   * the jobs tried, and their order, are those of reading the order job by job. Each tenant's jobs
   * of one shape have one demand, so passing over k of them adds k to its place and charges k
   * times that demand, found by a binary search in the tenant's list of that shape. `share` (the
   * guarded `w.share`, for a FairWalk) is called for each tenant's next job only and must stay
   * finite and never drop (else `broken`'s error is thrown). Stops at 'stop', and once every
   * queued shape is known not to fit. False, having tried nothing, when a tenant's first share
   * or attained service is not finite (the caller reads the order job by job instead).
   * O(tenants + the tenant's shapes × log queue) a job tried.
   *
   * `first`: a job tried before all others (the job a preemption made room for), as a pass reading
   * the order tries it: the order is taken as it stands before it is tried, it is tried, and the
   * rest of the order follows without it — where it stood it is passed (charged and counted), not
   * tried again. Not tried when its tenant is not in the order (reading the order would not meet it).
   *
   * `visit` may also answer 'reset' (a reader's, `SchedulerView`-side: quota reclaim): go on, with
   * every shape found unfit so far in play again from the next job on.
   */
  walkByTenant(w: FairWalk | RoundWalk, share: Share | undefined, broken: (what: string) => Error, visit: (j: Job) => TenantVisit, first?: Job): boolean {
    const mark = ++this.walkMark;
    const cursors: TenantCursor[] = [];
    const open = (name: string, t: TenantView | undefined): TenantCursor | undefined => {
      const l = this.tenants.get(name);
      if (l === undefined) return undefined;
      const shapes = [...l.shapes.values()];
      for (const ts of shapes) ts.at = ts.head;
      const u = t === undefined ? { gpu: 0, cpu: 0, memory: 0 } : { gpu: t.gpuInUse, cpu: t.cpuInUse, memory: t.memoryInUse };
      const c: TenantCursor = { name, t, rank: cursors.length, shapes, u, attained: t === undefined ? 0 : t.attainedGpu / t.weight, passed: 0, ghost: undefined, last: undefined, next: undefined, key: 0 };
      cursors.push(c);
      return c;
    };
    const fair = w instanceof FairWalk;
    if (fair) {
      for (const t of w.view.tenants) {
        const c = open(t.name, t);
        if (c === undefined) continue;
        c.key = share!(t, c.u);
        if (!Number.isFinite(c.key) || !Number.isFinite(c.attained)) return false;
      }
    } else for (const name of w.names) open(name, undefined);
    // The cursor's next job to try: the first after its place whose shape is not known unfit, the
    // jobs of unfit shapes before it passed in bulk; its key (share, or place in the queue).
    const settle = (c: TenantCursor) => {
      let next: TenantShape | undefined;
      for (const ts of c.shapes) {
        if (ts.list.unfitIn === mark || ts.at >= ts.entries.length) continue;
        if (next === undefined || earlier(ts.entries[ts.at], next.entries[next.at])) next = ts;
      }
      c.next = next;
      if (next === undefined) return;
      const e = next.entries[next.at];
      if (c.ghost !== undefined && earlier(c.ghost, e)) {
        charge(c.u, c.ghost.job);
        c.passed++;
        c.ghost = undefined;
      }
      for (const ts of c.shapes) {
        if (ts.list.unfitIn !== mark || ts.at >= ts.entries.length) continue;
        const to = entryIndex(ts.entries, ts.at, e.job.submit, e.ticket);
        const k = to - ts.at;
        if (k === 0) continue;
        charge(c.u, ts.list, k);
        c.passed += k;
        ts.at = to;
      }
      if (!fair) {
        c.key = c.passed;
        return;
      }
      const key = share!(c.t!, c.u);
      if (!(key >= c.key) || !Number.isFinite(key)) throw broken(`gave tenant ${c.name} the share ${key} after ${c.key} as its usage grew (a share must be finite and never drop)`);
      c.key = key;
    };
    const before = fair
      ? (a: TenantCursor, b: TenantCursor) => a.key < b.key || (a.key === b.key && (a.attained < b.attained || (a.attained === b.attained && a.name < b.name)))
      : (a: TenantCursor, b: TenantCursor) => a.key < b.key || (a.key === b.key && a.rank < b.rank);
    let unfit = 0;
    // The job tried first, and where it stood when not started (passed there, not tried again).
    let tried: Job | undefined;
    if (first !== undefined) {
      const fe = this.entryOf.get(first);
      const owner = fe === undefined ? undefined : cursors.find((c) => c.name === first.tenant);
      if (fe !== undefined && owner !== undefined) {
        const r = visit(first);
        if (r === 'stop') return true;
        // Its start may have moved its shape's head or cut it out of the entries: nothing is passed yet.
        for (const c of cursors) for (const ts of c.shapes) ts.at = ts.head;
        if (fe.gone) owner.ghost = { job: first, ticket: fe.ticket };
        else tried = first;
        if (r === 'unfit') {
          fe.shape.list.unfitIn = mark;
          if (++unfit === this.shapeLists) return true;
        }
      }
    }
    for (const c of cursors) settle(c);
    for (;;) {
      let best: TenantCursor | undefined;
      for (const c of cursors) {
        if (c.next !== undefined && c.next.list.unfitIn === mark) settle(c);
        if (c.next !== undefined && (best === undefined || before(c, best))) best = c;
      }
      if (best === undefined) return true;
      const ts = best.next!;
      const e = ts.entries[ts.at];
      charge(best.u, e.job);
      best.passed++;
      best.last = e;
      if (e.job === tried) {
        ts.at++;
        settle(best);
        continue;
      }
      const r = visit(e.job);
      // Past it. A job that started was cut out of the entries: the next one moved into its place,
      // or the head moved on past it. Only the job tried leaves the queue during a walk.
      if (!e.gone) ts.at++;
      else if (ts.at < ts.head) ts.at = ts.head;
      if (r === 'stop') return true;
      if (r === 'unfit' && ts.list.unfitIn !== mark) {
        ts.list.unfitIn = mark;
        // Every shape still queued is known not to fit: nothing more can start.
        if (++unfit === this.shapeLists) return true;
      }
      if (r === 'reset') {
        // Shapes passed so far are in play again from here on (a reader whose reasons to pass
        // changed). A cursor passed their jobs in bulk up to its next job, which may stand after
        // jobs of other tenants still to come: those passed ahead of their turn are given back
        // (uncharged, uncounted) so that they come in their places.
        if (first !== undefined) throw new Error('walkByTenant: a reset in a walk with a job tried first');
        // Where the walk stands: the job just read (its cursor's key and tie-breaks as it was read).
        const at = { ...best };
        for (const c of cursors) {
          for (const t of c.shapes) {
            if (t.list.unfitIn !== mark) continue;
            t.list.unfitIn = 0;
            const from = c.last === undefined ? t.head : entryIndex(t.entries, t.head, c.last.job.submit, c.last.ticket + 1);
            if (from >= t.at) continue;
            charge(c.u, t.list, from - t.at);
            c.passed -= t.at - from;
            t.at = from;
          }
          c.key = -Infinity;
        }
        unfit = 0;
        // Then each cursor passes again the jobs of the shapes back in play that the order puts
        // before where the walk stands (reading the order, they went by while passed).
        for (const c of cursors) {
          settle(c);
          while (c !== best && c.next !== undefined && before(c, at)) {
            const t = c.next;
            const e = t.entries[t.at];
            charge(c.u, e.job);
            c.passed++;
            c.last = e;
            t.at++;
            settle(c);
          }
        }
        continue;
      }
      settle(best);
    }
  }

  /**
   * The queued jobs by ascending `key(job)`, ties in queue order, read as the iteration goes (as
   * `tenantJobs`, it may go on while the jobs it yielded leave the queue). The core keeps one
   * index per key function, from its first call on: O(log queue) a job to enter or leave, O(1) a
   * step. `key` is read once, when a job enters the queue: it must depend only on what a job keeps
   * while queued, and be the same function object from call to call (at most 16 per queue). While
   * the queue is not in submit order (`ordered`), a stable sort of `jobs`.
   */
  sortedBy(key: QueueKey, moved?: ReadonlyMap<JobView, number>): Iterable<Job> {
    if (!this.submitOrdered) return byKey(this.jobs, key, moved);
    let k = this.keyed.get(key);
    if (k === undefined) {
      if (this.keyed.size >= MAX_KEYS) throw new Error(`queuedBy: more than ${MAX_KEYS} key functions on one queue; pass the same function object each call (a key defined once, not a closure made per pass)`);
      k = new KeyedQueue(key);
      for (const j of this.jobs) k.insert(j, j.queueTicket);
      this.keyed.set(key, k);
    }
    if (moved === undefined || moved.size === 0) return new KeyedWalk(k);
    const list: MovedJob[] = [];
    for (const [view, newKey] of moved) {
      const j = view as Job;
      if (!k.has(j)) throw new Error(`queuedBy: moved job ${j.id} is not queued (moved holds queued jobs only)`);
      if (Number.isNaN(newKey)) throw new Error(`queuedBy: moved gives NaN for job ${j.id} (a sort key must be a number)`);
      list.push({ job: j, key: newKey, submit: j.submit, ticket: j.queueTicket });
    }
    list.sort((a, b) => a.key - b.key || a.submit - b.submit || a.ticket - b.ticket);
    return new KeyedWalk(k, list);
  }

  /** Queued jobs `jobs` sorted into the order of `walk` (a `sortedBy` walk), or queue order without one. Valid while `ordered`. */
  inOrder(jobs: Job[], walk?: KeyedWalk): Job[] {
    return jobs.sort((a, b) => (walk ? walk.keyOf(a) - walk.keyOf(b) : 0) || a.submit - b.submit || a.queueTicket - b.queueTicket);
  }

  /** Whether `order` is a `sortedBy` walk of this queue, still valid (one `walkByKeyAndShape` may take). */
  isSortedWalk(order: unknown): order is KeyedWalk {
    return order instanceof KeyedWalk && this.submitOrdered && this.keyed.get(order.queue.key) === order.queue;
  }

  /** Whether the head of `a` comes before the head of `b` in queue order (both heads present; valid while `ordered`). */
  before(a: ShapeList, b: ShapeList): boolean {
    const ja = a.jobs[a.head];
    const jb = b.jobs[b.head];
    return ja.submit !== jb.submit ? ja.submit < jb.submit : a.tickets[a.head] < b.tickets[b.head];
  }

  /**
   * Visits queued jobs in queue order, one shape at a time as `visit` allows (as `mergeWalk`: true
   * when it started the job, false when the shape does not fit for the rest of the walk, 'stop'):
   * the heads of the shape lists merged by queue position, O((started + shapes) · log shapes), not
   * O(queue). Valid while `ordered`. Its own heap rather than `mergeWalk`'s: fifo's every pass
   * walks it, and a heap shared with `walkByKeyAndShape` (calls through closures, two list types)
   * cost fifo 10–15 % of its in-process run time.
   */
  walkByShape(visit: (j: Job) => boolean | 'stop'): void {
    // The heap's first `n` slots; the array keeps its length from walk to walk (truncating it
    // would drop its backing store, and the next walk's pushes would allocate one again). Slots
    // past `n` may hold lists of earlier walks: never read, overwritten before use.
    const heap = this.heap;
    let n = 0;
    for (let l of this.shapes.values()) {
      for (; l !== undefined; l = l.next!) {
        if (this.head(l) === undefined) continue;
        if (n < heap.length) heap[n] = l;
        else heap.push(l);
        n++;
      }
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.down(i, n);
    while (n > 0) {
      const list = heap[0];
      const r = visit(this.head(list)!);
      if (r === 'stop') break;
      if (r && this.head(list) !== undefined) {
        this.down(0, n);
        continue;
      }
      // The shape is exhausted or known not to fit for the rest of the walk: drop it.
      n--;
      if (n > 0) {
        heap[0] = heap[n];
        this.down(0, n);
      }
    }
  }

  /**
   * A reader's walk of the queue in queue order (`LazyOrder.walk` for fifo over a queue split by
   * tenant and shape): meets the jobs reading `jobs` meets, but a list `visit` answers 'pass' for
   * (a tenant's jobs of a shape) is dropped until a 'reset', which brings every dropped list back
   * from the job just read on. Nothing leaves the queue during it. Valid while `ordered`.
   * O((jobs read + lists) · log lists).
   */
  readByShape(visit: (j: Job) => 'next' | 'pass' | 'reset' | 'stop'): void {
    type Cursor = { l: ShapeList; i: number };
    const live = (c: Cursor) => {
      const { jobs, tickets } = c.l;
      while (c.i < jobs.length && jobs[c.i].queueTicket !== tickets[c.i]) c.i++;
      return c.i < jobs.length;
    };
    const earlierAt = (a: Cursor, b: Cursor) => {
      const ja = a.l.jobs[a.i];
      const jb = b.l.jobs[b.i];
      return ja.submit !== jb.submit ? ja.submit < jb.submit : a.l.tickets[a.i] < b.l.tickets[b.i];
    };
    const heap: Cursor[] = [];
    for (const l of this.lists()) {
      this.head(l); // merges its requeued entries
      const c = { l, i: l.head };
      if (live(c)) heap.push(c);
    }
    const sift = (k: number) => siftDown(heap, k, earlierAt);
    for (let k = (heap.length >> 1) - 1; k >= 0; k--) sift(k);
    const dropped: Cursor[] = [];
    while (heap.length > 0) {
      const c = heap[0];
      const j = c.l.jobs[c.i];
      const ticket = c.l.tickets[c.i];
      const r = visit(j);
      if (r === 'stop') return;
      c.i++;
      if (r !== 'pass' && live(c)) sift(0);
      else {
        if (r === 'pass') dropped.push(c);
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          sift(0);
        }
      }
      if (r === 'reset') {
        // Each dropped list comes back from its first job after the one just read.
        for (const d of dropped) {
          d.i = listIndex(d.l, d.i, j.submit, ticket + 1);
          if (live(d)) {
            heap.push(d);
            siftUp(heap, heap.length - 1, earlierAt);
          }
        }
        dropped.length = 0;
      }
    }
  }

  /** Sifts `heap[i]` down `walkByShape`'s heap of `n` lists (ordered by `before`). */
  private down(i: number, n: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const c = l + 1 < n && this.before(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!this.before(heap[c], heap[i])) return;
      const t = heap[i];
      heap[i] = heap[c];
      heap[c] = t;
      i = c;
    }
  }

  /**
   * As `walkByShape`, in the order of `walk` (a `sortedBy` walk of this queue): each shape's jobs
   * by the walk's key, the shapes' heads merged by (key, queue position). Each shape keeps its own
   * index by that key from the first such walk on. Valid while `ordered`.
   */
  walkByKeyAndShape(walk: KeyedWalk, visit: (j: Job) => boolean | 'stop'): void {
    const key = walk.queue.key;
    if (!this.shapeKeys.has(key)) {
      this.shapeKeys.add(key);
      for (const l of this.lists()) {
        const k = l.keyedBy(key);
        for (let i = l.head; i < l.jobs.length; i++) if (l.jobs[i].queueTicket === l.tickets[i]) k.insert(l.jobs[i], l.tickets[i]);
        for (let i = 0; i < l.late.length; i++) if (l.late[i].queueTicket === l.lateTickets[i]) k.insert(l.late[i], l.lateTickets[i]);
      }
    }
    if (walk.moved.length > 0) {
      const lists: { queue: KeyedQueue; shape: string }[] = [];
      for (let l of this.shapes.values()) for (; l !== undefined; l = l.next!) if (l.count > 0) lists.push({ queue: l.keyedBy(key), shape: l.key });
      KeyedQueue.walkByShapeWith(lists, walk.moved, (j) => this.shapeOf(j), visit);
      return;
    }
    const heap = this.keyedHeap;
    heap.length = 0;
    for (let l of this.shapes.values()) for (; l !== undefined; l = l.next!) if (l.count > 0) heap.push(l.keyedBy(key));
    mergeWalk(heap, (k) => k.first(), KeyedQueue.headsInOrder, visit);
  }

  /** The list of `j`'s shape (possibly an emptied one, kept), or undefined when there is none. */
  private listFor(j: Job): ShapeList | undefined {
    let l = this.shapes.get(this.hashOf(j));
    if (this.byTenantShape) while (l !== undefined && (l.tenant !== j.tenant || !l.holds(j))) l = l.next;
    else while (l !== undefined && !l.holds(j)) l = l.next;
    return l;
  }

  /** Split `byTenantShape`: each tenant's lists (emptied ones included until `dropEmptyLists`). */
  private readonly listsOfTenant = new Map<string, ShapeList[]>();

  /**
   * `SchedulerView.queuedShapesOf`: tenant `name`'s queued jobs by shape, one of each shape (the
   * first in queue order) and how many. O(the tenant's shapes) when split `byTenantShape`, else a
   * scan of the queue.
   */
  shapesOf(name: string): QueuedShape[] {
    const out: QueuedShape[] = [];
    if (this.byTenantShape) {
      for (const l of this.listsOfTenant.get(name) ?? []) {
        if (l.count === 0) continue;
        out.push({ job: this.head(l)!, count: l.count });
      }
      return out;
    }
    const at = new Map<ShapeList, number>();
    for (const j of this.jobs) {
      if (j.tenant !== name) continue;
      const l = this.listFor(j)!;
      const i = at.get(l);
      if (i === undefined) {
        at.set(l, out.length);
        out.push({ job: j, count: 1 });
      } else out[i] = { job: out[i].job, count: out[i].count + 1 };
    }
    return out;
  }

  /** Tenant name → its hash, mixed into a list's hash when split `byTenantShape`. */
  private readonly tenantHashes = new Map<string, number>();

  private hashOf(j: Job): number {
    if (!this.byTenantShape) return shapeHash(j);
    let h = this.tenantHashes.get(j.tenant);
    if (h === undefined) this.tenantHashes.set(j.tenant, (h = fnv1a(j.tenant)));
    return shapeHash(j) ^ h;
  }

  /** Files `j` under a new ticket, which it returns. */
  private enter(j: Job, requeued: boolean): number {
    let l = this.listFor(j);
    if (!l) {
      const h = this.hashOf(j);
      l = new ShapeList(j, h, this.byTenantShape ? j.tenant : '');
      l.next = this.shapes.get(h);
      this.shapes.set(h, l);
      this.shapeLists++;
      if (this.byTenantShape) {
        const ls = this.listsOfTenant.get(j.tenant);
        if (ls === undefined) this.listsOfTenant.set(j.tenant, [l]);
        else ls.push(l);
      }
    } else if (l.count === 0) {
      // An emptied list kept for its shape (`leave`): in use again.
      this.emptyLists--;
      this.shapeLists++;
    }
    const ticket = nextTicket++;
    j.queueTicket = ticket;
    l.count++;
    this.live++;
    if (requeued && this.submitOrdered) {
      // Its place (after the entries submitted at or before it) is found when the list is next read.
      l.late.push(j);
      l.lateTickets.push(ticket);
      if (l.late.length > 64 + (l.count >> 3)) this.settleList(l);
    } else {
      l.jobs.push(j);
      l.tickets.push(ticket);
    }
    if (this.byTenant) this.enterTenant(j, requeued && this.submitOrdered, l);
    if (this.keyed.size > 0) for (const k of this.keyed.values()) k.insert(j, ticket);
    if (this.shapeKeys.size > 0) for (const key of this.shapeKeys) l.keyedBy(key).insert(j, ticket);
    return ticket;
  }

  /** Links `j` into its tenant's list: at the end, or (`bySubmit`) after the last entry submitted at or before it. */
  private enterTenant(j: Job, bySubmit: boolean, list: ShapeList): void {
    let t = this.tenants.get(j.tenant);
    if (t === undefined) this.tenants.set(j.tenant, (t = { first: undefined, last: undefined, shapes: new Map() }));
    let after = t.last;
    if (bySubmit && after !== undefined && after.job.submit > j.submit) {
      // Its place: after the latest entry submitted at or before it, the latest of each shape's
      // (found by halving; the list itself was walked back, O(the tenant's later jobs) a requeue).
      after = undefined;
      for (const s of t.shapes.values()) {
        const at = entryIndex(s.entries, s.head, j.submit, j.queueTicket);
        if (at > s.head && (after === undefined || earlier(after, s.entries[at - 1]))) after = s.entries[at - 1];
      }
    }
    let ts = t.shapes.get(list);
    if (ts === undefined) t.shapes.set(list, (ts = { list, entries: [], head: 0, at: 0 }));
    const e: TenantEntry = { job: j, ticket: j.queueTicket, shape: ts, prev: after, next: after === undefined ? t.first : after.next, gone: false };
    if (e.next === undefined) t.last = e;
    else e.next.prev = e;
    if (after === undefined) t.first = e;
    else after.next = e;
    this.entryOf.set(j, e);
    // Into the shape's entries in queue order (at the end but for a requeued job); no walk runs
    // while jobs enter, so the entries cut out at the head can be dropped here.
    if (ts.head > 64 && ts.head * 2 > ts.entries.length) {
      ts.entries = ts.entries.slice(ts.head);
      ts.head = 0;
    }
    const es = ts.entries;
    const at = entryIndex(es, ts.head, j.submit, e.ticket);
    if (at === es.length) es.push(e);
    else ts.head = insertAt(es, ts.head, at, e);
  }

  /** Unlinks `j` from its tenant's list; its entry keeps `next` (see tenantJobs). */
  private leaveTenant(j: Job): void {
    const e = this.entryOf.get(j)!;
    this.entryOf.delete(j);
    e.gone = true;
    const t = this.tenants.get(j.tenant)!;
    if (e.prev === undefined) t.first = e.next;
    else e.prev.next = e.next;
    if (e.next === undefined) t.last = e.prev;
    else e.next.prev = e.prev;
    if (t.first === undefined) this.tenants.delete(j.tenant);
    const ts = e.shape;
    const es = ts.entries;
    if (es[ts.head] === e) ts.head++;
    else {
      // Out of the middle: a job cancelled, or one a walk tried after an earlier one of its shape
      // that asked to wait. The entries after it move down one; a walk's place (`at`) was on it.
      const at = entryIndex(es, ts.head, j.submit, e.ticket);
      if (es[at] !== e) throw new Error(`queue index: job ${j.id} is not where its tenant's list of its shape keeps it`);
      es.splice(at, 1);
    }
    if (ts.head === es.length) t.shapes.delete(ts.list);
  }

  private leave(j: Job): void {
    const l = this.listFor(j)!;
    j.queueTicket = -1;
    this.live--;
    this.dead++;
    if (this.byTenant) this.leaveTenant(j);
    if (this.keyed.size > 0) for (const k of this.keyed.values()) k.remove(j);
    if (this.shapeKeys.size > 0) for (const key of this.shapeKeys) l.keyedBy(key).remove(j);
    if (--l.count === 0) {
      // Kept, emptied, for the shape's next job (a queue that empties at every pass would
      // otherwise make and drop a list, and churn the map, per job); dropped once emptied lists
      // outnumber the lists in use by 64. Cut to the one entry that just left, the list starting
      // after it: V8 frees an array's backing store when its length is set to 0 (the shape's next
      // job would allocate one again), not when a short one is cut to 1.
      l.jobs.length = 1;
      l.tickets.length = 1;
      l.head = 1;
      l.late.length = 0;
      l.lateTickets.length = 0;
      this.shapeLists--;
      if (++this.emptyLists > this.shapeLists + 64) this.dropEmptyLists();
      return;
    }
    if (l.jobs.length - l.head > 2 * l.count + 64) this.compactList(l);
  }

  /** Drops every emptied list from its hash chain. */
  private dropEmptyLists(): void {
    for (const [h, first] of this.shapes) {
      let head: ShapeList | undefined;
      let tail: ShapeList | undefined;
      for (let l: ShapeList | undefined = first; l !== undefined; l = l.next) {
        if (l.count === 0) continue;
        if (tail === undefined) head = l;
        else tail.next = l;
        tail = l;
      }
      if (tail === undefined) this.shapes.delete(h);
      else {
        tail.next = undefined;
        if (head !== first) this.shapes.set(h, head!);
      }
    }
    this.emptyLists = 0;
    for (const [t, ls] of this.listsOfTenant) {
      const kept = ls.filter((l) => l.count > 0);
      if (kept.length === 0) this.listsOfTenant.delete(t);
      else this.listsOfTenant.set(t, kept);
    }
  }

  private compactList(l: ShapeList): void {
    [l.jobs, l.tickets] = mergeLive(l.jobs, l.tickets, l.head, l.late, l.lateTickets);
    l.head = 0;
    l.late = [];
    l.lateTickets = [];
  }

  /**
   * Merges a list's requeued entries into their places (`ShapeList.late`): a few one by one, in
   * place (a requeued job's place is mostly near the head, where the entries before it move down
   * into the head's slack), more by a merge into new arrays. Either way O(list) at worst; the
   * merge alone made each reclaim round under overload read a tenant's whole list.
   */
  private settleList(l: ShapeList): void {
    const { late, lateTickets } = l;
    if (late.length === 0) return;
    if (late.length > 8) {
      this.compactList(l);
      return;
    }
    for (let i = 0; i < late.length; i++) {
      const j = late[i];
      const ticket = lateTickets[i];
      if (j.queueTicket !== ticket) continue;
      const at = listIndex(l, l.head, j.submit, ticket);
      insertAt(l.tickets, l.head, at, ticket);
      l.head = insertAt(l.jobs, l.head, at, j);
    }
    l.late = [];
    l.lateTickets = [];
  }

  /** Every shape list, emptied ones included. */
  private *allLists(): Generator<ShapeList> {
    for (let l of this.shapes.values()) for (; l !== undefined; l = l.next!) yield l;
  }

  /**
   * Drops the entries of jobs that are no longer queued and merges the requeued ones into their
   * places (new arrays: callers may hold the old ones).
   */
  private compact(): void {
    [this.items, this.itemTickets] = mergeLive(this.items, this.itemTickets, 0, this.late, this.lateTickets);
    this.late = [];
    this.lateTickets = [];
    this.dead = 0;
  }
}

/**
 * The entries of `jobs` from `from` on (in (submit, ticket) order) and of `late` (in ticket order)
 * whose job still holds the entry's ticket, merged in (submit, ticket) order, as new parallel arrays.
 */
function mergeLive(jobs: readonly Job[], tickets: readonly number[], from: number, late: readonly Job[], lateTickets: readonly number[]): [Job[], number[]] {
  const keptJobs: Job[] = [];
  const keptTickets: number[] = [];
  const extra: number[] = [];
  for (let i = 0; i < late.length; i++) if (late[i].queueTicket === lateTickets[i]) extra.push(i);
  extra.sort((a, b) => late[a].submit - late[b].submit || lateTickets[a] - lateTickets[b]);
  let e = 0;
  for (let i = from; i < jobs.length; i++) {
    if (jobs[i].queueTicket !== tickets[i]) continue;
    for (; e < extra.length; e++) {
      const x = extra[e];
      if (late[x].submit > jobs[i].submit || (late[x].submit === jobs[i].submit && lateTickets[x] > tickets[i])) break;
      keptJobs.push(late[x]);
      keptTickets.push(lateTickets[x]);
    }
    keptJobs.push(jobs[i]);
    keptTickets.push(tickets[i]);
  }
  for (; e < extra.length; e++) {
    keptJobs.push(late[extra[e]]);
    keptTickets.push(lateTickets[extra[e]]);
  }
  return [keptJobs, keptTickets];
}

/**
 * Tickets come from one counter for every queue in the thread: a job's `queueTicket` names one
 * entry of one queue, so a stale entry a job left in another queue (a hierarchy moves queued
 * jobs between shards' cores) never matches it. Only their order within a queue matters.
 */
let nextTicket = 0;

/** Key functions one queue keeps indexes for (`sortedBy`). */
const MAX_KEYS = 16;

/**
 * Inserts `x` before `a[at]` in the live part `a[head…]` of an array (`at` ≥ `head`) and returns
 * the new head: with a free slot before the head and fewer entries before `at` than after it, the
 * entries before `at` move down one (the slot at `head - 1` is dead); else those after move up.
 */
function insertAt<T>(a: T[], head: number, at: number, x: T): number {
  if (head > 0 && at - head < a.length - at) {
    for (let i = head; i < at; i++) a[i - 1] = a[i];
    a[at - 1] = x;
    return head - 1;
  }
  a.splice(at, 0, x);
  return head;
}

/** The first index at or after `from` of `es` (in queue order) whose entry is not before (submit, ticket). */
function entryIndex(es: readonly TenantEntry[], from: number, submit: number, ticket: number): number {
  let lo = from;
  let hi = es.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = es[mid];
    if (m.job.submit < submit || (m.job.submit === submit && m.ticket < ticket)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index at or after `from` of list `l`'s entries (in queue order) that is not before (submit, ticket). */
function listIndex(l: ShapeList, from: number, submit: number, ticket: number): number {
  let lo = from;
  let hi = l.jobs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (l.jobs[mid].submit < submit || (l.jobs[mid].submit === submit && l.tickets[mid] < ticket)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether entry `a` comes before entry `b` in queue order. */
function earlier(a: Pick<TenantEntry, 'job' | 'ticket'>, b: Pick<TenantEntry, 'job' | 'ticket'>): boolean {
  return a.job.submit < b.job.submit || (a.job.submit === b.job.submit && a.ticket < b.ticket);
}

/** The queued jobs of tenant list `l` from its first on; an entry that left is passed by its `next`. */
function* walkTenant(l: TenantList): Generator<Job> {
  for (let e = l.first; e !== undefined; e = e.next) if (!e.gone) yield e.job;
}

