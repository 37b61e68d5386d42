import { esc, fmtT } from './format.ts';
import type { RunModel } from './run-model.ts';

const BEFORE = 6;
const AFTER = 12;
const DECISIONS = new Set(['start', 'reject', 'preempt', 'requeue', 'finish', 'cancel']);

function brief(line: string): { job: string; detail: string } {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const job = typeof r.job === 'string' ? r.job : '';
    const rest = Object.entries(r)
      .filter(([k]) => k !== 't' && k !== 'ev' && k !== 'job' && k !== 'nodes')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return { job, detail: 'nodes' in r ? `${rest} nodes=[${(r.nodes as unknown[]).length}]` : rest };
  } catch {
    return { job: '', detail: line };
  }
}

/**
 * The event log around the selected moment: the records of the shown run (the current one
 * highlighted; records the viewer could not fold in red with the reason, kept as raw JSON), and beside them what every run
 * decided at that same instant.
 */
export function renderInspector(table: HTMLTableElement, decisions: HTMLElement, where: HTMLElement, model: RunModel, cur: number, all: { run: string; model: RunModel }[]): void {
  const recs = model.records;
  if (recs.length === 0) {
    table.innerHTML = '<tr><td>no records yet</td></tr>';
    return;
  }
  const i = Math.max(0, Math.min(cur, recs.length - 1));
  const from = Math.max(0, i - BEFORE);
  const to = Math.min(recs.length, i + AFTER);
  let html = '<thead><tr><th>#</th><th>t</th><th>event</th><th>job</th><th>details</th></tr></thead><tbody>';
  for (let k = from; k < to; k++) {
    const r = recs[k];
    const b = brief(r.line);
    const cls = [k === i ? 'cur' : '', r.known ? '' : 'unknown'].join(' ').trim();
    html += `<tr class="${cls}" data-index="${k}"><td>${k + 1}</td><td>${fmtT(r.t)}</td><td>${esc(r.ev)}${r.note ? ` <small>(${esc(r.note)})</small>` : ''}</td><td>${esc(b.job)}</td><td class="raw" title="${esc(r.line)}">${esc(b.detail)}</td></tr>`;
  }
  table.innerHTML = html + '</tbody>';
  const t = recs[i].t;
  where.textContent = `record ${i + 1} of ${recs.length} · t = ${fmtT(t)} (${t} ms)`;
  where.dataset.index = String(i);
  let d = `<h4>at t = ${fmtT(t)}, every run:</h4>`;
  for (const { run, model: m } of all) {
    const a = m.recordAt(t);
    const b = m.recordAt(t + 1);
    const here = m.records.slice(a, b);
    const arrivals = here.filter((r) => r.ev === 'arrival').length;
    const dec = here.filter((r) => DECISIONS.has(r.ev));
    d += `<div data-run="${esc(run)}"><b>${esc(run)}</b>: ${arrivals} arrival(s), ${dec.length} decision(s)`;
    d += '<ul>' + dec
      .slice(0, 6)
      .map((r) => {
        const x = brief(r.line);
        return `<li>${esc(r.ev)} ${esc(x.job)} ${esc(x.detail.slice(0, 60))}</li>`;
      })
      .join('');
    if (dec.length > 6) d += `<li>… ${dec.length - 6} more</li>`;
    d += '</ul></div>';
  }
  decisions.innerHTML = d;
}
