/**
 * A start record's GPU indices as jobs.csv writes them (`;` between indices on one node), one
 * shared string per distinct list: a run keeps one such string per job until its jobs.csv is
 * written, and most jobs share a handful of lists ('0', '1', '0;1' …). Lists of small indices
 * are found in a trie by index, index after index, so a list seen before costs no string at
 * all (a join per start was a tenth of the output path). Pure (a cache aside).
 */
interface Trie {
  /** The list up to here, joined. */
  readonly text: string;
  /** By next index. */
  readonly next: (Trie | undefined)[];
}

const root: Trie = { text: '', next: [] };
/** Indices the trie takes; a list with any other goes to a plain join. */
const MAX_INDEX = 4096;
let nodes = 0;

export function gpuList(gpus: readonly number[]): string {
  if (gpus.length === 0) return '';
  let at = root;
  for (let i = 0; i < gpus.length; i++) {
    const g = gpus[i];
    if (!(Number.isInteger(g) && g >= 0 && g < MAX_INDEX)) return gpus.join(';');
    let n = at.next[g];
    if (n === undefined) {
      if (nodes >= 65_536) return gpus.join(';'); // a bound on the cache, not on correctness
      nodes++;
      n = { text: i === 0 ? String(g) : `${at.text};${g}`, next: [] };
      at.next[g] = n;
    }
    at = n;
  }
  return at.text;
}
