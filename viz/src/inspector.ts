import { esc, fmtT } from './format.ts';
import type { RunView as RunModel } from './run-view.ts';

const BEFORE = 6;
const AFTER = 12;
/** A record's raw line in its row's title is cut to this many characters (a big cluster's run record is megabytes). */
const TITLE_CHARS = 4000;
const DECISIONS = new Set(['start', 'reject', 'preempt', 'requeue', 'finish', 'cancel', 'route', 'bounce', 'steal']);

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

const cut = (line: string) => (line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS)}… (${line.length.toLocaleString('en')} characters)` : line);

/**
 * The event log around the selected moment: the records of the shown run (the current one
 * highlighted; records the viewer could not fold in red with the reason, kept as raw JSON), and beside them what every run
 * decided at that same instant.
 */
export function renderInspector(
  table: HTMLTableElement,
  decisions: HTMLElement,
  where: HTMLElement,
  model: RunModel,
  cur: number,
  all: { run: string; model: RunModel }[],
  filter: { events: Set<string>; match: (job: string) => boolean; searching: boolean } = { events: new Set(), match: () => false, searching: false },
): void {
  const recs = model.records;
  if (recs.length === 0) {
    table.innerHTML = '<tr><td>no records yet</td></tr>';
    return;
  }
  const i = Math.max(0, Math.min(cur, recs.length - 1));
  // With an event-type filter, the rows are the nearest records of those types around the cursor.
  const ok = (k: number) => filter.events.size === 0 || k === i || filter.events.has(recs.ev(k));
  const rows: number[] = [];
  for (let k = i - 1, n = 0; k >= 0 && n < BEFORE && i - k < 50_000; k--) if (ok(k)) (rows.unshift(k), n++);
  rows.push(i);
  for (let k = i + 1, n = 0; k < recs.length && n < AFTER - 1 && k - i < 50_000; k++) if (ok(k)) (rows.push(k), n++);
  let html = '<thead><tr><th>#</th><th>t</th><th>event</th><th>job</th><th>details</th></tr></thead><tbody>';
  for (const k of rows) {
    const r = recs.get(k);
    const b = brief(r.line);
    const cls = [k === i ? 'cur' : '', r.known ? '' : 'unknown', filter.searching && b.job && filter.match(b.job) ? 'hit' : ''].join(' ').trim();
    html += `<tr class="${cls}" data-index="${k}"><td>${k + 1}</td><td>${fmtT(r.t)}</td><td>${esc(r.ev)}${r.note ? ` <small>(${esc(r.note)})</small>` : ''}</td><td>${esc(b.job)}</td><td class="raw" title="${esc(cut(r.line))}">${esc(b.detail)}</td></tr>`;
  }
  table.innerHTML = html + '</tbody>';
  const t = recs.t[i];
  where.textContent = `record ${i + 1} of ${recs.length} · t = ${fmtT(t)} (${t} ms)`;
  where.dataset.index = String(i);
  let d = `<h4>at t = ${fmtT(t)}, every run:</h4>`;
  for (const { run, model: m } of all) {
    const a = m.recordAt(t);
    const b = m.recordAt(t + 1);
    let arrivals = 0;
    const dec: { ev: string; line: string }[] = [];
    for (let k = a; k < b; k++) {
      const ev = m.records.ev(k);
      if (ev === 'arrival') arrivals++;
      else if (DECISIONS.has(ev)) dec.push({ ev, line: dec.length < 6 ? m.records.line(k) : '' });
    }
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
