/**
 * Sorted lists of node indices, as the node groups (node-groups.ts) keep their members: insert
 * and remove by binary search, and the n-th index of a union of such lists without merging them.
 */

/**
 * The first position in `a`, ascending by `key` (node index → sort key; the identity when
 * absent), whose key is not below `v`'s.
 */
function lowerBound(a: readonly number[], v: number, key: Int32Array | undefined): number {
  let lo = 0;
  let hi = a.length;
  if (key === undefined) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const k = key[v];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key[a[mid]] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `v` into `a`, ascending by `key`. */
export function insertSorted(a: number[], v: number, key: Int32Array | undefined): void {
  const at = lowerBound(a, v, key);
  const n = a.length;
  if (at === n) a.push(v);
  else if (n - at <= SHORT_MOVE) {
    // A few entries moved by hand: `splice` allocates the array of what it removed, even none.
    a.push(a[n - 1]);
    for (let i = n - 1; i > at; i--) a[i] = a[i - 1];
    a[at] = v;
  } else a.splice(at, 0, v);
}

/** Up to this many entries to move, a loop moves them; more, `splice` (one allocation, a memmove). */
const SHORT_MOVE = 32;

/**
 * Removes `v` from `a`, ascending by `key`. The first member is the one first-fit and best-fit
 * take: `shift` drops it without moving the rest (V8 trims the array's start).
 */
export function removeSorted(a: number[], v: number, key: Int32Array | undefined): void {
  const at = lowerBound(a, v, key);
  if (a[at] !== v) throw new Error(`node ${v} missing from its group`); // an index bug, never input
  const n = a.length;
  if (at === 0) a.shift();
  else if (at === n - 1) a.pop();
  else if (n - 1 - at <= SHORT_MOVE) {
    for (let i = at; i < n - 1; i++) a[i] = a[i + 1];
    a.pop();
  } else a.splice(at, 1);
}

/**
 * The `n`-th smallest (0-based) node index in the union of disjoint ascending lists, without
 * merging them: binary search on the index, counting with a binary search in each list.
 * O(lists · log² nodes). Used for a uniform draw among tied nodes in index order.
 */
export function nthOfUnion(lists: readonly (readonly number[])[], n: number, nodeCount: number): number {
  let lo = 0;
  let hi = nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    let c = 0;
    for (const l of lists) c += countAtMost(l, mid);
    if (c > n) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function countAtMost(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
