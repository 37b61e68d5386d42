/**
 * Binary min-heap of events ordered by (time, priority, seq).
 *
 * Keys live in parallel typed arrays and payloads in a plain array, so a push or pop touches no
 * per-event wrapper object and the storage only grows (doubling) — it never shrinks or re-allocates
 * on pop. `seq` is assigned here, so ties never depend on comparing payloads.
 */
export class EventQueue<E> {
  private times: Float64Array;
  private prios: Int32Array;
  private seqs: Float64Array;
  private items: (E | undefined)[];
  private n = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity);
    this.times = new Float64Array(cap);
    this.prios = new Int32Array(cap);
    this.seqs = new Float64Array(cap);
    this.items = new Array(cap);
  }

  get size(): number {
    return this.n;
  }

  /** Inserts an event; returns the sequence number it was given. */
  push(time: number, priority: number, item: E): number {
    if (this.n === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.n++;
    // Sift up: move parents down until the slot for the new key is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(time, priority, seq, p)) break;
      this.move(p, i);
      i = p;
    }
    this.times[i] = time;
    this.prios[i] = priority;
    this.seqs[i] = seq;
    this.items[i] = item;
    return seq;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.times[0];
  }

  peek(): E | undefined {
    return this.n === 0 ? undefined : this.items[0];
  }

  pop(): E | undefined {
    if (this.n === 0) return undefined;
    const top = this.items[0];
    const last = --this.n;
    if (last > 0) {
      const t = this.times[last];
      const p = this.prios[last];
      const s = this.seqs[last];
      const item = this.items[last];
      let i = 0;
      // Sift down the former last element from the root.
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        let c = l;
        if (r < last && this.lessIdx(r, l)) c = r;
        if (!this.lessKeyThanIdx(c, t, p, s)) break;
        this.move(c, i);
        i = c;
      }
      this.times[i] = t;
      this.prios[i] = p;
      this.seqs[i] = s;
      this.items[i] = item;
    }
    this.items[last] = undefined;
    return top;
  }

  clear(): void {
    this.items.fill(undefined, 0, this.n);
    this.n = 0;
  }

  /** key(time, prio, seq) < key at index j */
  private less(time: number, prio: number, seq: number, j: number): boolean {
    const tj = this.times[j];
    if (time !== tj) return time < tj;
    const pj = this.prios[j];
    if (prio !== pj) return prio < pj;
    return seq < this.seqs[j];
  }

  private lessIdx(i: number, j: number): boolean {
    return this.less(this.times[i], this.prios[i], this.seqs[i], j);
  }

  /** key at index c < key(time, prio, seq) */
  private lessKeyThanIdx(c: number, time: number, prio: number, seq: number): boolean {
    const tc = this.times[c];
    if (tc !== time) return tc < time;
    const pc = this.prios[c];
    if (pc !== prio) return pc < prio;
    return this.seqs[c] < seq;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.prios[to] = this.prios[from];
    this.seqs[to] = this.seqs[from];
    this.items[to] = this.items[from];
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    const p = new Int32Array(cap);
    p.set(this.prios);
    const s = new Float64Array(cap);
    s.set(this.seqs);
    this.times = t;
    this.prios = p;
    this.seqs = s;
    this.items.length = cap;
  }
}
