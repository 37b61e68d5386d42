import { describe, expect, it } from 'vitest';
import { JobFlags, emptyFilter, searchMatcher } from '../viz/src/filter.ts';
import { shownJob, treeLine } from '../viz/src/job-tree-view.ts';
import { JobTree, treeOf, treeRoot } from '../viz/src/job-tree.ts';
import { vizPipeline } from './helpers/viz-pipeline.ts';
import { treeLogLines } from './viz-tree-log.ts';

/**
 * The viewer's job trees: a child's arrival record names its parent and depth; the page's jobs
 * carry both (worker fold → delta → page columns), the children of a job are derived from the
 * arrivals, and `tree:<id>` searches a job and its descendants. The log is fed in two deltas as a
 * live run's is, so the tree grows as arrivals come.
 */
describe('viewer job trees', () => {
  const lines = treeLogLines();
  // First delta: up to g's start (r, c1, c2, g arrived); second: the rest (o and s1).
  const cut = lines.findIndex((l) => l.includes('"finish"'));

  it('carries parent and depth from arrival records to the page, and derives children from them', () => {
    const p = vizPipeline();
    p.feed(lines.slice(0, cut));
    const J = p.v.jobs;
    const at = (id: string) => J.indexOf(id)!;
    expect(['r', 'c1', 'c2', 'g'].map((id) => [J.parent(at(id)), J.depth(at(id))])).toEqual([['', 0], ['r', 1], ['r', 1], ['c1', 2]]);
    expect(J.get(at('g'))).toMatchObject({ parent: 'c1', depth: 2 });
    const t = treeOf(J);
    expect(t.children('r')).toEqual(['c1', 'c2']);
    expect(t.children('c1')).toEqual(['g']);
    expect(t.children('g')).toEqual([]);
    // Depth first, children in arrival order.
    expect(t.subtree('r')).toEqual(['r', 'c1', 'g', 'c2']);
    expect(t.subtree('c2')).toEqual(['c2']);
    expect(t.subtree('nope')).toEqual([]);

    // The rest of the log: a top-level job and a session's child; the same tree object grows.
    p.feed(lines.slice(cut));
    expect(treeOf(J)).toBe(t);
    expect(J.length).toBe(6);
    expect([...p.v.problems]).toEqual([]);
    expect(t.subtree('r')).toEqual(['r', 'c1', 'g', 'c2']);
    expect(t.subtree('o')).toEqual(['o']);
    // A session is no job of the log, but its children are found under its id.
    expect(t.children('sess-1')).toEqual(['s1']);
    expect(t.subtree('sess-1')).toEqual(['sess-1', 's1']);
  });

  it('tree:<id> matches the job and its descendants; the flags count the hits', () => {
    const p = vizPipeline();
    p.feed(lines);
    const ids = ['r', 'c1', 'c2', 'g', 'o', 's1'];
    expect(treeRoot(' tree: c1 ')).toBe('c1');
    expect(treeRoot('c1')).toBeUndefined();
    expect(ids.filter(searchMatcher(p.v, 'tree:r'))).toEqual(['r', 'c1', 'c2', 'g']);
    expect(ids.filter(searchMatcher(p.v, 'tree:c1'))).toEqual(['c1', 'g']);
    expect(ids.filter(searchMatcher(p.v, 'tree:zz'))).toEqual([]);
    // A plain search still matches one id exactly (c1, not c1's subtree).
    expect(ids.filter(searchMatcher(p.v, 'c1'))).toEqual(['c1']);
    const f = { ...emptyFilter(), q: 'tree:r' };
    expect(new JobFlags().get(p.v, f).hits).toBe(4);
  });

  it('the tooltip line and the panel job', () => {
    const p = vizPipeline();
    p.feed(lines);
    expect(treeLine(p.v, 'c1', 'r', 1)).toBe('parent r · depth 1 · children (1): g');
    expect(treeLine(p.v, 'r', '', 0)).toBe('depth 0 (root) · children (2): c1, c2');
    expect(treeLine(p.v, 'o', '', 0)).toBe('');
    // The panel shows the picked job, else the searched one (exact id or a tree's root).
    expect(shownJob(p.v, 'tree:c1', '')).toBe('c1');
    expect(shownJob(p.v, 'g', '')).toBe('g');
    expect(shownJob(p.v, 'tree:r', 'g')).toBe('g');
    expect(shownJob(p.v, 'c', '')).toBe('');
  });

  it('a cycle in a malformed log lists each job once', () => {
    const ids = ['a', 'b'];
    const parents = ['b', 'a'];
    const t = new JobTree({ length: 2, id: (j) => ids[j], parent: (j) => parents[j], indexOf: (id) => (ids.includes(id) ? ids.indexOf(id) : undefined) });
    expect(t.subtree('a')).toEqual(['a', 'b']);
  });
});
