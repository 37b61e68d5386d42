/**
 * Job trees (child jobs, issue 14): a child's arrival record names its `parent` and `depth`; the
 * children of a job are the jobs whose arrival names it. Derived here from the jobs as the page
 * holds them (job-table.ts columns), incrementally: parents never change after arrival and
 * arrive before their children, so each job is read once.
 */

/** What the tree needs of the page's jobs (JobTable). */
export interface TreeJobs {
  readonly length: number;
  id(j: number): string;
  parent(j: number): string;
  indexOf(id: string): number | undefined;
}

/** `tree:<id>` in the search box: the job and all its descendants. */
export const TREE_PREFIX = 'tree:';

/** The root id of a `tree:<id>` query, or undefined for any other query. Pure. */
export function treeRoot(q: string): string | undefined {
  const s = q.trim();
  return s.startsWith(TREE_PREFIX) ? s.slice(TREE_PREFIX.length).trim() : undefined;
}

export class JobTree {
  /** Parent id → child job indices, in arrival order. */
  private readonly kids = new Map<string, number[]>();
  private read = 0;

  constructor(private readonly jobs: TreeJobs) {}

  private update(): void {
    const J = this.jobs;
    for (; this.read < J.length; this.read++) {
      const p = J.parent(this.read);
      if (!p) continue;
      const k = this.kids.get(p);
      if (k) k.push(this.read);
      else this.kids.set(p, [this.read]);
    }
  }

  /** Ids of the jobs whose arrival names `id` as parent, in arrival order. */
  children(id: string): string[] {
    this.update();
    return (this.kids.get(id) ?? []).map((j) => this.jobs.id(j));
  }

  /** `id` and every job below it (depth first, children in arrival order); [] when no job has that id or names it as parent. */
  subtree(id: string): string[] {
    this.update();
    if (this.jobs.indexOf(id) === undefined && !this.kids.has(id)) return [];
    const out: string[] = [];
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length > 0) {
      const x = stack.pop()!;
      // (a log that names a cycle is malformed; each id is still listed once)
      if (seen.has(x)) continue;
      seen.add(x);
      out.push(x);
      const k = this.kids.get(x);
      if (k) for (let i = k.length - 1; i >= 0; i--) stack.push(this.jobs.id(k[i]));
    }
    return out;
  }
}

const trees = new WeakMap<TreeJobs, JobTree>();

/** The tree of a run's jobs, one per job table (kept while the table lives). */
export function treeOf(jobs: TreeJobs): JobTree {
  let t = trees.get(jobs);
  if (!t) trees.set(jobs, (t = new JobTree(jobs)));
  return t;
}
