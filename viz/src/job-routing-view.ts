import { esc, fmtT } from './format.ts';
import type { JobInfo, RunView } from './run-view.ts';

/**
 * A job's routing in a scheduler hierarchy (issue 17): where the master routed it (`route`, with
 * the shard and the routing's number n), which shard sent it back and why (`bounce`), which shard
 * took it from another's queue (`steal`), read back from the log's own records (the page keeps
 * their indices per job, run-view.ts `routing`).
 */

/** One step of a job's routing history, as the panel lists it. */
export type RoutingStep =
  | { ev: 'route'; t: number; shard: string; n: number }
  | { ev: 'bounce'; t: number; shard: string; reason: string }
  | { ev: 'steal'; t: number; from: string; to: string };

/** Job `j`'s routing records in log order ([] for a job never routed, or a run without a hierarchy). */
export function routingHistory(m: RunView, j: number): RoutingStep[] {
  const out: RoutingStep[] = [];
  for (const k of m.routing.get(j) ?? []) {
    const r = JSON.parse(m.records.line(k)) as Record<string, unknown>;
    const t = r.t as number;
    if (r.ev === 'route') out.push({ ev: 'route', t, shard: String(r.shard), n: r.n as number });
    else if (r.ev === 'bounce') out.push({ ev: 'bounce', t, shard: String(r.shard), reason: String(r.reason) });
    else if (r.ev === 'steal') out.push({ ev: 'steal', t, from: String(r.from), to: String(r.to) });
  }
  return out;
}

/** A step in words. */
export function stepText(s: RoutingStep): string {
  if (s.ev === 'route') return `routed to ${s.shard} (routing ${s.n})`;
  if (s.ev === 'bounce') return `bounced by ${s.shard}: ${s.reason}`;
  return `stolen: ${s.from} → ${s.to}`;
}

/** The tooltip's line about a job's routing ('' for a job never routed). Pure. */
export function routingLine(job: JobInfo): string {
  if (!job.shard) return '';
  const n = (k: number, what: string) => (k > 0 ? ` · ${what} ${k}×` : '');
  return `shard ${job.shard}${n(job.routes, 'routed')}${n(job.bounces, 'bounced')}${n(job.steals, 'stolen')}`;
}

/**
 * Fills the routing panel for job `id` of `m`: its shard now and each routing step with its time.
 * Hidden for '' or a job with no routing records. `data-history` lists the steps as
 * `route:<shard>:<n>`, `bounce:<shard>:<reason>`, `steal:<from>><to>` (for tests and scripts).
 */
export function renderJobRouting(el: HTMLElement, m: RunView, id: string): void {
  const j = id ? m.jobs.indexOf(id) : undefined;
  const steps = j === undefined ? [] : routingHistory(m, j);
  if (j === undefined || steps.length === 0) {
    el.hidden = true;
    el.dataset.job = '';
    return;
  }
  el.hidden = false;
  el.dataset.job = id;
  el.dataset.shard = m.jobs.shard(j);
  el.dataset.history = steps.map((s) => (s.ev === 'route' ? `route:${s.shard}:${s.n}` : s.ev === 'bounce' ? `bounce:${s.shard}:${s.reason}` : `steal:${s.from}>${s.to}`)).join(',');
  el.innerHTML =
    `<b>${esc(id)}</b> · routing · now in shard <b class="shard">${esc(m.jobs.shard(j))}</b>` +
    `<ol>${steps.map((s) => `<li class="${s.ev}">${fmtT(s.t)} · ${esc(stepText(s))}</li>`).join('')}</ol>`;
}
