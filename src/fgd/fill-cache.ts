import { nodeFrag } from '../frag/node-frag.ts';
import type { TypicalPod } from '../frag/typical-pods.ts';
import type { NodeState } from './kernel.ts';

/**
 * Interned node states and memoised costs for one node set and one typical-pod list (one static
 * fill, src/fgd/static-fill.ts). A state is (model, free CPU, free memory, pod kinds, free GPU
 * sorted descending); states get ids in the order first seen, so a run's ids depend only on its
 * own placements. Interning hashes the fields to a 32-bit number and compares candidates field
 * by field (no key strings: this runs once per placement).
 */
export class FillCache {
  readonly states: NodeState[] = [];
  readonly frag: number[] = [];
  /** Free memory per state id (checked in the scan, so the memo need not key on memory). */
  readonly mem: number[] = [];
  /** kernel name → shape key → cost per state id (NaN = not computed; Infinity = unfit). */
  readonly memo = new Map<string, Map<string, Float64Array>>();
  /** hash → the last state id with it; `older[id]` the previous one with the same hash (−1: none). */
  private readonly byHash = new Map<number, number>();
  private readonly older: number[] = [];
  private readonly modelIds = new Map<string, number>();
  constructor(readonly typical: readonly TypicalPod[]) {}

  intern(model: string, cpuFree: number, memFree: number, affinity: number, gpuFree: readonly number[]): number {
    // GPU free values sorted descending (insertion sort: a node has a handful of GPUs)
    const n = gpuFree.length;
    const sorted = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const v = gpuFree[i];
      let j = i;
      while (j > 0 && sorted[j - 1] < v) {
        sorted[j] = sorted[j - 1];
        j--;
      }
      sorted[j] = v;
    }
    let m = this.modelIds.get(model);
    if (m === undefined) this.modelIds.set(model, (m = this.modelIds.size));
    let h = mix(mix(mix(mix(mix(0x811c9dc5, m), cpuFree), memFree), affinity), n);
    for (let i = 0; i < n; i++) h = mix(h, sorted[i]);
    const head = this.byHash.get(h);
    for (let id = head ?? -1; id >= 0; id = this.older[id]) {
      const s = this.states[id];
      if (s.model === model && s.cpuFree === cpuFree && s.memFree === memFree && s.affinity === affinity && sameValues(s.gpuFree, sorted)) return id;
    }
    const id = this.states.length;
    const s: NodeState = { model, cpuFree, memFree, gpuFree: sorted, affinity };
    this.states.push(s);
    this.frag.push(nodeFrag(s, this.typical));
    this.mem.push(memFree);
    this.older.push(head ?? -1);
    this.byHash.set(h, id);
    return id;
  }

  table(kernel: string, shape: string): Float64Array {
    let byShape = this.memo.get(kernel);
    if (!byShape) this.memo.set(kernel, (byShape = new Map()));
    let t = byShape.get(shape);
    if (!t || t.length < this.states.length) {
      const n = new Float64Array(Math.max(1024, this.states.length * 2)).fill(NaN);
      if (t) n.set(t);
      byShape.set(shape, n);
      t = n;
    }
    return t;
  }
}

/** One step of a 32-bit multiplicative hash over a number's low and high 32 bits. */
function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v | 0), 0x01000193);
  return Math.imul(h ^ ((v / 4294967296) | 0), 0x01000193);
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
