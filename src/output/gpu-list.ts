/**
 * A start record's GPU indices as jobs.csv writes them (`;` between indices on one node), one
 * shared string per distinct list: a run keeps one such string per job until its jobs.csv is
 * written, and most jobs share a handful of lists ('0', '1', '0;1' …). Pure (a cache aside).
 */
const one: string[] = [];
const many = new Map<string, string>();

export function gpuList(gpus: readonly number[]): string {
  if (gpus.length === 1) {
    const g = gpus[0];
    if (Number.isInteger(g) && g >= 0 && g < 4096) return (one[g] ??= String(g));
    return String(g);
  }
  const s = gpus.join(';');
  if (many.size >= 65_536) return s; // a bound on the cache, not on correctness
  const kept = many.get(s);
  if (kept !== undefined) return kept;
  many.set(s, s);
  return s;
}
