/**
 * For one pod shape and memory request of a static fill: the live node states that fit it,
 * bucketed by the kernel's cost, so that placing a pod reads the cheapest bucket instead of
 * scanning every live state (src/fgd/static-fill.ts). Node states are immutable and a kernel's
 * cost depends only on (state, shape), so a state's cost never changes while it is indexed; what
 * changes is whether a state is live (some node is in it). The index therefore
 *  - catches up lazily: `log` lists every time a state became live, and the index reads the
 *    entries after its cursor the next time it is asked (costs from the run's memo);
 *  - forgets dead states lazily: the cheapest bucket is compacted when read, and a state that
 *    died and came back is in `log` again.
 * The answer is the same set the scan gives: every live state that fits with the lowest cost
 * (ties are all of them, in the index's order; the caller breaks them by node index, or draws
 * one of their nodes uniformly).
 */
export class CostIndex {
  private cursor = 0;
  private indexed = new Uint8Array(1024);
  /** Distinct costs present, a binary min-heap. */
  private readonly heap: number[] = [];
  private readonly buckets = new Map<number, number[]>();

  constructor(private readonly memory: number) {}

  /**
   * Writes the cheapest live states into `tied` and returns how many (0: nothing fits).
   * `members[s]` are the nodes in state s; `mem[s]` its free memory; `memo[s]` its cost for this
   * shape (NaN: not computed yet, then `miss(s)` computes it; Infinity: does not fit).
   */
  best(log: readonly number[], members: readonly (readonly number[] | undefined)[], mem: readonly number[], memo: Float64Array, miss: (s: number) => number, tied: Int32Array): number {
    this.catchUp(log, members, mem, memo, miss);
    while (this.heap.length > 0) {
      const c = this.heap[0];
      const b = this.buckets.get(c)!;
      let k = 0;
      for (let i = 0; i < b.length; i++) {
        const s = b[i];
        if (members[s]!.length > 0) b[k++] = s;
        else this.indexed[s] = 0;
      }
      b.length = k;
      if (k > 0) {
        for (let i = 0; i < k; i++) tied[i] = b[i];
        return k;
      }
      this.buckets.delete(c);
      this.pop();
    }
    return 0;
  }

  /**
   * The lowest cost indexed (Infinity: none), after catching up. Its bucket may hold only dead
   * states: then no live state has that cost, and `best` moves past it.
   */
  lowest(log: readonly number[], members: readonly (readonly number[] | undefined)[], mem: readonly number[], memo: Float64Array, miss: (s: number) => number): number {
    this.catchUp(log, members, mem, memo, miss);
    return this.heap.length > 0 ? this.heap[0] : Infinity;
  }

  private catchUp(log: readonly number[], members: readonly (readonly number[] | undefined)[], mem: readonly number[], memo: Float64Array, miss: (s: number) => number): void {
    for (let j = this.cursor; j < log.length; j++) {
      const s = log[j];
      if (s < this.indexed.length && this.indexed[s] === 1) continue;
      const m = members[s];
      if (m === undefined || m.length === 0 || mem[s] < this.memory) continue;
      let c = memo[s];
      if (c !== c) memo[s] = c = miss(s);
      if (c === Infinity || c !== c) continue;
      this.add(c, s);
    }
    this.cursor = log.length;
  }

  private add(c: number, s: number): void {
    if (s >= this.indexed.length) {
      const n = new Uint8Array(Math.max(s + 1, this.indexed.length * 2));
      n.set(this.indexed);
      this.indexed = n;
    }
    this.indexed[s] = 1;
    const b = this.buckets.get(c);
    if (b) {
      b.push(s);
      return;
    }
    this.buckets.set(c, [s]);
    const h = this.heap;
    let i = h.length;
    h.push(c);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= c) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = c;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const m = r < h.length && h[r] < h[l] ? r : l;
      if (h[m] >= last) break;
      h[i] = h[m];
      i = m;
    }
    h[i] = last;
  }
}
