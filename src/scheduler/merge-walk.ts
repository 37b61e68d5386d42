import type { Job } from '../jobs/job.ts';

/**
 * Visits the jobs of several ordered lists merged into one order, one list at a time as `visit`
 * allows — the walk by shape of a scheduling pass (`QueueIndex.walkByShape`, `walkByKeyAndShape`):
 * `visit(j)` returns true when it started `j` (that list's next job is visited in its turn), false
 * when the list is done with for the rest of the walk (its shape does not fit), or 'stop' to end
 * the walk. `lists` (emptied on return) is the heap, a binary min-heap by `before` of the lists'
 * heads, every list non-empty on entry; `head(l)` is `l`'s first job, undefined once it has none.
 * O((started + lists) · log lists).
 */
export function mergeWalk<L>(lists: L[], head: (l: L) => Job | undefined, before: (a: L, b: L) => boolean, visit: (j: Job) => boolean | 'stop'): void {
  const heap = lists;
  const down = (i: number) => siftDown(heap, i, before);
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  while (heap.length > 0) {
    const list = heap[0];
    const r = visit(head(list)!);
    if (r === 'stop') break;
    if (r && head(list) !== undefined) {
      down(0);
      continue;
    }
    // The list is exhausted or done with for the rest of the walk: drop it.
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      down(0);
    }
  }
  heap.length = 0;
}

/** Sifts `heap[i]` down a binary min-heap ordered by `before`. */
export function siftDown<L>(heap: L[], i: number, before: (a: L, b: L) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) return;
    const c = l + 1 < heap.length && before(heap[l + 1], heap[l]) ? l + 1 : l;
    if (!before(heap[c], heap[i])) return;
    const t = heap[i];
    heap[i] = heap[c];
    heap[c] = t;
    i = c;
  }
}

/** Sifts `heap[i]` up a binary min-heap ordered by `before`. */
export function siftUp<L>(heap: L[], i: number, before: (a: L, b: L) => boolean): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(heap[i], heap[p])) return;
    const t = heap[i];
    heap[i] = heap[p];
    heap[p] = t;
    i = p;
  }
}
