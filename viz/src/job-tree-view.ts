import { esc } from './format.ts';
import { TREE_PREFIX, treeOf, treeRoot } from './job-tree.ts';
import type { RunView } from './run-view.ts';

/** Children listed by name before "+N more". */
const SHOWN = 12;

/** The tooltip's line about a job's tree ('' for a job with neither parent nor children). Pure. */
export function treeLine(m: RunView, id: string, parent: string, depth: number): string {
  const kids = treeOf(m.jobs).children(id);
  if (!parent && kids.length === 0) return '';
  const list = kids.slice(0, SHOWN).join(', ') + (kids.length > SHOWN ? ` +${kids.length - SHOWN} more` : '');
  return [parent ? `parent ${parent} · depth ${depth}` : 'depth 0 (root)', kids.length > 0 ? `children (${kids.length}): ${list}` : ''].filter(Boolean).join(' · ');
}

/**
 * The job shown in the tree panel: the job a click on the schedule picked (`picked`), else the
 * one the search names exactly (`j12`, or the root of `tree:j12`). '' when none.
 */
export function shownJob(m: RunView, q: string, picked: string): string {
  if (picked && m.jobs.indexOf(picked) !== undefined) return picked;
  const s = treeRoot(q) ?? q.trim();
  return s && m.jobs.indexOf(s) !== undefined ? s : '';
}

const link = (id: string, known: boolean) => (known ? `<a href="#" data-job="${esc(id)}">${esc(id)}</a>` : esc(id));

/**
 * Fills the tree panel for job `id` of `m`: its parent (a link when the parent is a job of the
 * log; a session is not), depth, children (links) and a link that searches its whole tree. Hidden
 * for '' or a job with neither parent nor children. Links carry `data-job` / `data-tree`, read by
 * `wireJobTree`.
 */
export function renderJobTree(el: HTMLElement, m: RunView, id: string): void {
  const j = id ? m.jobs.indexOf(id) : undefined;
  const parent = j === undefined ? '' : m.jobs.parent(j);
  const kids = j === undefined ? [] : treeOf(m.jobs).children(id);
  if (j === undefined || (!parent && kids.length === 0)) {
    el.hidden = true;
    el.dataset.job = '';
    return;
  }
  const depth = m.jobs.depth(j);
  const size = treeOf(m.jobs).subtree(id).length;
  el.hidden = false;
  el.dataset.job = id;
  el.dataset.parent = parent;
  el.dataset.depth = String(depth);
  el.dataset.children = kids.join(',');
  el.innerHTML =
    `<b>${esc(id)}</b> · depth <b class="depth">${depth}</b>` +
    ` · parent <span class="parent">${parent ? link(parent, m.jobs.indexOf(parent) !== undefined) : '— (top-level)'}</span>` +
    ` · children <span class="children">${kids.length > 0 ? kids.slice(0, SHOWN).map((k) => link(k, true)).join(', ') + (kids.length > SHOWN ? ` +${kids.length - SHOWN} more` : '') : '—'}</span>` +
    ` · <a href="#" data-tree="${esc(id)}" title="search ${esc(TREE_PREFIX + id)}: highlight this job and its descendants">whole tree (${size} job${size === 1 ? '' : 's'})</a>`;
}

/** Clicks on the panel's links: a job link selects and searches that job; the tree link searches `tree:<id>`. */
export function wireJobTree(el: HTMLElement, search: (q: string, pick: string) => void): void {
  el.addEventListener('click', (ev) => {
    const a = (ev.target as HTMLElement).closest('a');
    if (!a) return;
    ev.preventDefault();
    if (a.dataset.job) search(a.dataset.job, a.dataset.job);
    else if (a.dataset.tree) search(TREE_PREFIX + a.dataset.tree, a.dataset.tree);
  });
}
