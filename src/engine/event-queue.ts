/**
 * Binary min-heap of events ordered by (time, priority, seq).
 *
 * Keys live in one typed array, three numbers per slot (time, priority, seq) side by side, so a
 * comparison touches one cache line and a node's two children lie next to each other; payloads
 * live in a plain array. A push or pop touches no per-event wrapper object and the storage only
 * grows (doubling) — it never shrinks or re-allocates on pop. `seq` is assigned here, so ties
 * never depend on comparing payloads.
 */
export class EventQueue<E> {
  /** Slot i's key at 3i (time), 3i + 1 (priority, an integer), 3i + 2 (seq). */
  private keys: Float64Array;
  private items: (E | undefined)[];
  private n = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity);
    this.keys = new Float64Array(3 * cap);
    this.items = new Array(cap);
  }

  get size(): number {
    return this.n;
  }

  /** Inserts an event; returns the sequence number it was given. */
  push(time: number, priority: number, item: E): number {
    if (3 * this.n === this.keys.length) this.grow();
    const seq = this.nextSeq++;
    const k = this.keys;
    const items = this.items;
    let i = this.n++;
    // Sift up: move parents down until the slot for the new key is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = k[3 * p];
      if (time > pt || (time === pt && (priority > k[3 * p + 1] || (priority === k[3 * p + 1] && seq > k[3 * p + 2])))) break;
      k[3 * i] = pt;
      k[3 * i + 1] = k[3 * p + 1];
      k[3 * i + 2] = k[3 * p + 2];
      items[i] = items[p];
      i = p;
    }
    k[3 * i] = time;
    k[3 * i + 1] = priority;
    k[3 * i + 2] = seq;
    items[i] = item;
    return seq;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.keys[0];
  }

  peek(): E | undefined {
    return this.n === 0 ? undefined : this.items[0];
  }

  pop(): E | undefined {
    if (this.n === 0) return undefined;
    const items = this.items;
    const top = items[0];
    const last = --this.n;
    if (last > 0) {
      const k = this.keys;
      const t = k[3 * last];
      const p = k[3 * last + 1];
      const s = k[3 * last + 2];
      const item = items[last];
      let i = 0;
      // Sift down the former last element from the root.
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        if (c + 1 < last && this.lessIdx(c + 1, c)) c++;
        const ct = k[3 * c];
        if (ct > t || (ct === t && (k[3 * c + 1] > p || (k[3 * c + 1] === p && k[3 * c + 2] > s)))) break;
        k[3 * i] = ct;
        k[3 * i + 1] = k[3 * c + 1];
        k[3 * i + 2] = k[3 * c + 2];
        items[i] = items[c];
        i = c;
      }
      k[3 * i] = t;
      k[3 * i + 1] = p;
      k[3 * i + 2] = s;
      items[i] = item;
    }
    items[last] = undefined;
    return top;
  }

  clear(): void {
    this.items.fill(undefined, 0, this.n);
    this.n = 0;
  }

  /** key at slot a < key at slot b (keys are never equal: seqs differ). */
  private lessIdx(a: number, b: number): boolean {
    const k = this.keys;
    const ta = k[3 * a];
    const tb = k[3 * b];
    if (ta !== tb) return ta < tb;
    const pa = k[3 * a + 1];
    const pb = k[3 * b + 1];
    if (pa !== pb) return pa < pb;
    return k[3 * a + 2] < k[3 * b + 2];
  }

  private grow(): void {
    const k = new Float64Array(this.keys.length * 2);
    k.set(this.keys);
    this.keys = k;
    this.items.length = this.items.length * 2;
  }
}
