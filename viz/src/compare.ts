import * as d3 from 'd3';
import { esc, fmtT, runColor, runDash } from './format.ts';
import type { RunView as RunModel } from './run-view.ts';

/**
 * Comparison mode: every run (or every policy, its seeds grouped as mean with a min–max band) on
 * shared scales. A metrics table with a delta against a chosen baseline and "best" marks that say
 * what they compare (this file: the rows, the table, its best marks and CSV). The charts (overlaid
 * timelines, CDFs, per-tenant panels) are in compare-charts.ts.
 */

export interface RunRow {
  run: string;
  label: string;
  seed: number;
  model: RunModel;
  /** From summary.json when the run is in it; otherwise derived from the log (live runs). */
  metrics: Record<string, number>;
  /** Jain's index and per-tenant figures: summary.json's `fairness`, else the log's (weights 1). */
  fairness: { jain: number; migFragPct?: number; tenants: { tenant: string; sharePct: number; waitMeanMs: number; jctMeanMs: number; jobs: number; completed: number }[] };
  fromSummary: boolean;
  digest: string;
}

/** A row of the comparison: one run, or one policy's seeds. */
export interface Group {
  key: string;
  runs: RunRow[];
  color: string;
  dash: string;
}

export function groups(rows: RunRow[], byPolicy: boolean): Group[] {
  const out: Group[] = [];
  const at = new Map<string, Group>();
  for (const r of rows) {
    const key = byPolicy ? r.label : r.run;
    let g = at.get(key);
    if (!g) {
      const k = out.length;
      at.set(key, (g = { key, runs: [], color: runColor(k), dash: runDash(k) }));
      out.push(g);
    }
    g.runs.push(r);
  }
  return out;
}

type Better = 'low' | 'high' | '';
interface Col {
  key: string;
  title: string;
  better: Better;
  kind: 'count' | 'ms' | 'pct' | 'ratio';
  /** Which jobs the value covers, for the honesty rule (see `judge`). */
  covers?: 'completed' | 'started' | 'all-ended';
}

const COLS: Col[] = [
  { key: 'jobs', title: 'jobs', better: '', kind: 'count' },
  { key: 'completed', title: 'done', better: 'high', kind: 'count' },
  { key: 'rejected', title: 'rej', better: 'low', kind: 'count' },
  { key: 'failed', title: 'fail', better: 'low', kind: 'count' },
  { key: 'unfinished', title: 'unfin', better: 'low', kind: 'count' },
  { key: 'jctMeanMs', title: 'JCT mean', better: 'low', kind: 'ms', covers: 'completed' },
  { key: 'jctP50Ms', title: 'JCT p50', better: 'low', kind: 'ms', covers: 'completed' },
  { key: 'jctP95Ms', title: 'JCT p95', better: 'low', kind: 'ms', covers: 'completed' },
  { key: 'jctP99Ms', title: 'JCT p99', better: 'low', kind: 'ms', covers: 'completed' },
  { key: 'waitMeanMs', title: 'wait mean', better: 'low', kind: 'ms', covers: 'started' },
  { key: 'waitP95Ms', title: 'wait p95', better: 'low', kind: 'ms', covers: 'started' },
  { key: 'makespanMs', title: 'makespan', better: 'low', kind: 'ms', covers: 'all-ended' },
  { key: 'meanGpuAllocPct', title: 'GPU alloc %', better: 'high', kind: 'pct' },
  { key: 'jain', title: 'Jain', better: 'high', kind: 'ratio' },
];
/** A scheduler hierarchy's figures (summary.json `hierarchy`); a run without one shows —. */
const HIERARCHY_COLS: Col[] = [
  { key: 'hierShards', title: 'shards', better: '', kind: 'count' },
  { key: 'bounces', title: 'bounces', better: '', kind: 'count' },
  { key: 'steals', title: 'steals', better: '', kind: 'count' },
  { key: 'misroutedWaitMs', title: 'misrouted', better: 'low', kind: 'ms' },
  { key: 'utilMaxOverMean', title: 'shard max/mean', better: 'low', kind: 'ratio' },
];
/** The summary.json `hierarchy` fields the comparison reads (`shards` becomes `hierShards`). */
export const HIERARCHY_KEYS = ['shards', 'bounces', 'steals', 'misroutedWaitMs', 'utilMaxOverMean'] as const;
const FAILURE_COLS: Col[] = [
  { key: 'nodeDowns', title: 'node downs', better: '', kind: 'count' },
  { key: 'jobsHit', title: 'jobs hit', better: 'low', kind: 'count' },
  { key: 'lostGpuMs', title: 'lost GPU time', better: 'low', kind: 'ms' },
  { key: 'gpuUpPct', title: 'GPU up %', better: '', kind: 'pct' },
];
const MIG_COL: Col = { key: 'migFragPct', title: 'MIG frag %', better: 'low', kind: 'pct' };

/** A group's value of a column: the mean over its runs (NaN when any run lacks it). */
function value(g: Group, key: string): number {
  const vs = g.runs.map((r) => r.metrics[key]);
  return vs.some((v) => v === undefined || v === null || !Number.isFinite(v)) ? NaN : d3.mean(vs as number[])!;
}

function show(c: Col, v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (c.kind === 'ms') return fmtT(v);
  if (c.kind === 'pct') return v.toFixed(1);
  if (c.kind === 'ratio') return v.toFixed(3);
  return d3.format(',.4~r')(v);
}

export interface Judged {
  /** Per group: 'best' (the unique best), 'tie' (best shared with another), 'excluded' (see why), ''. */
  mark: string[];
  why: string[];
  /** How many groups were compared (eligible). */
  compared: number;
}

/**
 * Which group is best in a column, honestly: JCT columns compare only groups whose succeeded jobs
 * are as many as the most any group finished (a policy that finished 268 of 1,464 jobs is not
 * "best" on the JCT of its survivors); wait columns only groups that started as many jobs as the
 * most; makespan only groups with no unfinished job (a run cut off at its horizon has no
 * makespan to compare). Values equal at the shown precision tie, and a tie is marked as one. No
 * mark with fewer than two comparable groups. Pure.
 */
export function judge(gs: Group[], c: Col): Judged {
  const mark = gs.map(() => '');
  const why = gs.map(() => '');
  if (!c.better) return { mark, why, compared: 0 };
  const eligible = gs.map(() => true);
  if (c.covers === 'completed' || c.covers === 'started') {
    const k = c.covers;
    const most = d3.max(gs, (g) => value(g, k)) ?? 0;
    gs.forEach((g, i) => {
      const n = value(g, k);
      if (n < most) {
        eligible[i] = false;
        mark[i] = 'excluded';
        const jobs = value(g, 'jobs');
        const un = value(g, 'unfinished');
        const rej = value(g, 'rejected');
        why[i] = `covers ${d3.format(',.4~r')(n)} of ${d3.format(',.4~r')(jobs)} jobs (${k === 'completed' ? 'succeeded' : 'started'}; ${d3.format(',.4~r')(un)} unfinished, ${d3.format(',.4~r')(rej)} rejected) — fewer than the ${d3.format(',.4~r')(most)} of the others, so not compared`;
      }
    });
  } else if (c.covers === 'all-ended') {
    gs.forEach((g, i) => {
      const un = value(g, 'unfinished');
      if (un > 0) {
        eligible[i] = false;
        mark[i] = 'excluded';
        why[i] = `cut off: ${d3.format(',.4~r')(un)} jobs unfinished at the end, so this makespan is only the horizon — not compared`;
      }
    });
  }
  const vals = gs.map((g, i) => (eligible[i] ? value(g, c.key) : NaN));
  const shown = vals.map((v) => (Number.isFinite(v) ? show(c, v) : ''));
  const ok = vals.map((v, i) => Number.isFinite(v) && eligible[i]);
  const compared = ok.filter(Boolean).length;
  if (compared < 2) return { mark, why, compared };
  const best = vals.reduce((b, v, i) => (ok[i] && (b === undefined || (c.better === 'low' ? v < b : v > b)) ? v : b), undefined as number | undefined)!;
  const bestShown = show(c, best);
  const winners = vals.map((v, i) => ok[i] && shown[i] === bestShown);
  const n = winners.filter(Boolean).length;
  if (n === compared) {
    // Everyone equal: nothing to mark.
    return { mark, why, compared };
  }
  winners.forEach((w, i) => {
    if (!w) return;
    mark[i] = n === 1 ? 'best' : 'tie';
    why[i] = n === 1 ? `best of ${compared} compared` : `tied best with ${n - 1} other${n > 2 ? 's' : ''} (of ${compared} compared)`;
  });
  return { mark, why, compared };
}

/** The metrics table: one row per group; a delta against `baseline` under each value. */
export function renderTable(table: HTMLTableElement, gs: Group[], baseline: string, selected: string, onSelect: (key: string) => void): void {
  const cols = [...COLS];
  if (gs.some((g) => g.runs.some((r) => Number.isFinite(r.metrics.nodeDowns)))) cols.push(...FAILURE_COLS);
  if (gs.some((g) => g.runs.some((r) => Number.isFinite(r.metrics.migFragPct)))) cols.push(MIG_COL);
  if (gs.some((g) => g.runs.some((r) => Number.isFinite(r.metrics.hierShards)))) cols.push(...HIERARCHY_COLS);
  const judged = cols.map((c) => judge(gs, c));
  const base = gs.find((g) => g.key === baseline);
  const delta = (c: Col, g: Group): string => {
    if (!base || base === g || !c.better) return '';
    const v = value(g, c.key);
    const b = value(base, c.key);
    if (!Number.isFinite(v) || !Number.isFinite(b)) return '';
    const d = v - b;
    if (show(c, v) === show(c, b)) return `<small class="delta same">=</small>`;
    const good = c.better === 'low' ? d < 0 : d > 0;
    const txt = c.kind === 'count' ? `${d > 0 ? '+' : ''}${d3.format(',.4~r')(d)}` : b !== 0 ? `${d > 0 ? '+' : ''}${((100 * d) / Math.abs(b)).toFixed(1)}%` : `${d > 0 ? '+' : ''}${show(c, d)}`;
    return `<small class="delta ${good ? 'good' : 'bad'}">${txt}</small>`;
  };
  const seeds = (g: Group) => g.runs.map((r) => r.seed).join(',');
  table.innerHTML =
    `<thead><tr><th>${gs.some((g) => g.runs.length > 1) ? 'policy (seeds)' : 'run'}</th>${cols.map((c) => `<th data-col="${c.key}">${c.title}</th>`).join('')}<th>source</th></tr></thead>` +
    `<tbody>${gs
      .map((g, gi) => {
        const cells = cols
          .map((c, ci) => {
            const v = value(g, c.key);
            const j = judged[ci];
            const m = j.mark[gi];
            const exact = g.runs.map((r) => r.metrics[c.key]).join(' / ');
            const title = [j.why[gi], `exact: ${exact}${c.kind === 'ms' ? ' ms' : ''}`].filter(Boolean).join('\n');
            const sign = m === 'excluded' ? '<sup>†</sup>' : m === 'tie' ? '<sup>=</sup>' : '';
            return `<td data-col="${c.key}" class="${m}" title="${esc(title)}">${show(c, v)}${sign}${delta(c, g)}</td>`;
          })
          .join('');
        const src = g.runs.every((r) => r.fromSummary) ? 'summary.json' : g.runs.some((r) => !r.model.ended) ? 'event log (live)' : 'event log';
        return `<tr data-run="${esc(g.key)}" data-policy="${esc(g.runs[0].label)}" class="${g.key === selected ? 'selected' : ''}${g.key === baseline ? ' baseline' : ''}"><td><i class="sw" style="background:${g.color}"></i>${esc(g.key)}${g.runs.length > 1 ? ` <small>(${seeds(g)})</small>` : ''}</td>${cells}<td title="${esc(g.runs.map((r) => r.digest).join(' '))}">${src}</td></tr>`;
      })
      .join('')}</tbody>`;
  table.querySelectorAll<HTMLTableRowElement>('tr[data-run]').forEach((tr) => tr.addEventListener('click', () => onSelect(tr.dataset.run ?? '')));
  table.insertAdjacentHTML(
    'beforeend',
    `<caption>Times as d/h/m/s (hover a cell for exact ms). <b class="best">Bold green</b>: the single best of the comparable rows; <sup>=</sup> tied best; <sup>†</sup> not compared: JCT covers only the succeeded jobs and wait only the started ones, so a row that finished or started fewer jobs than the others is left out (survivor bias), and a run with unfinished jobs has no makespan (cut off at the horizon). ${base ? `Deltas against <b>${esc(base.key)}</b>; green = better.` : ''} ${gs.some((g) => g.runs.length > 1) ? 'Rows with several seeds show the mean over seeds.' : ''} Jain: over the tenants' received / entitled GPU time.</caption>`,
  );
}

/** The table's data as CSV (one row per run; every numeric metric). */
export function metricsCsv(rows: RunRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].filter((k) => rows.some((r) => typeof r.metrics[k] === 'number'));
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [['run', 'policy', 'seed', ...keys].join(','), ...rows.map((r) => [q(r.run), q(r.label), r.seed, ...keys.map((k) => (Number.isFinite(r.metrics[k]) ? r.metrics[k] : ''))].join(','))].join('\n') + '\n';
}
