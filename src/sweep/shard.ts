/**
 * A shard of a sweep: `i/n` (0 ≤ i < n) takes the tasks whose plan index is i modulo n, so the n
 * shards cover every task exactly once, each gets a share of every policy and pod list, and the
 * split depends only on the plan (any machine computes the same one).
 */

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n`; an error message names `flag` and says what is wrong. */
export function parseShard(flag: string, v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`${flag}: expected i/n (e.g. 0/4: the first of 4 shards), got '${v}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 100_000) throw new Error(`${flag}: the shard count n must be from 1 to 100000, got ${count}`);
  if (index >= count) throw new Error(`${flag}: the shard index i must be below n (0 … ${count - 1}), got ${index}`);
  return { index, count };
}

/** The plan indices of shard `s` among `total` tasks, ascending. */
export function shardTasks(total: number, s: Shard | undefined): number[] {
  const out: number[] = [];
  for (let i = s ? s.index : 0; i < total; i += s ? s.count : 1) out.push(i);
  return out;
}
