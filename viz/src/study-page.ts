import { max, min } from 'd3';
import { renderFgdStudy } from './fgd-view.ts';
import { esc, fmtInt } from './format.ts';
import { $, commonNotes, schedule, st, tooltip } from './page-state.ts';

/** The FGD study mode: the fragmentation curves (fgd-view.ts) and summary.json's static-fill table with best marks. */

export function renderStudy(): void {
  const f = st.fgd;
  if (!f) return;
  renderFgdStudy($('fgd'), f.rows, { x: st.fgdX }, (x) => {
    st.fgdX = x;
    schedule(true);
  }, tooltip);
  const arrived = f.rows.map((r) => r.arrived);
  const lo = min(arrived) ?? 0;
  const hi = max(arrived) ?? 0;
  $('fgd-range').textContent = st.fgdX ? ` arrived ${st.fgdX[0]}–${st.fgdX[1]}% of ${lo}–${hi}%` : ` arrived ${lo}–${hi}% (all)`;
  $('fgd-top').textContent = `zoom to 80–${hi}%`;
  const s = st.summary;
  const results = s?.kind === 'static-fill' && Array.isArray(s.results) ? (s.results as Record<string, unknown>[]) : [];
  if (results.length > 0) {
    const keys = Object.keys(results[0]).filter((k) => k !== 'label');
    // Failed pods are not ranked: a policy that packs worse fails other (smaller or larger) pods.
    const numKeys = keys.filter((k) => k.startsWith('alloc') || k.startsWith('frag'));
    // Best per column: highest allocation, lowest fragmentation and failures; ties marked as ties.
    const best = new Map<string, { v: number; n: number }>();
    for (const k of numKeys) {
      const low = !k.startsWith('alloc');
      const vs = results.map((r) => r[k]).filter((v): v is number => typeof v === 'number');
      if (vs.length < 2) continue;
      const v = (low ? min(vs) : max(vs))!;
      const n = vs.filter((x) => x.toFixed(2) === v.toFixed(2)).length;
      if (n < vs.length) best.set(k, { v, n });
    }
    $<HTMLTableElement>('fgd-table').innerHTML =
      `<thead><tr><th>policy</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr></thead><tbody>` +
      results
        .map(
          (r) =>
            `<tr data-policy="${esc(String(r.label))}"><td>${esc(String(r.label))}</td>${keys
              .map((k) => {
                const v = r[k];
                const b = best.get(k);
                const mark = typeof v === 'number' && b && v.toFixed(2) === b.v.toFixed(2) ? (b.n === 1 ? 'best' : 'tie') : '';
                return `<td class="${mark}">${typeof v === 'number' ? v.toFixed(2).replace(/\.00$/, '') : v === null ? '—' : esc(String(v))}${mark === 'tie' ? '<sup>=</sup>' : ''}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('') +
      `</tbody><caption>${esc(String((s?.covers as Record<string, string> | undefined)?.means ?? ''))}; pod list ${esc(String(s?.podList ?? ''))} (${fmtInt(Number(s?.pods ?? 0))} pods), ${fmtInt(Number(s?.nodes ?? 0))} nodes, ${fmtInt(Number(s?.gpus ?? 0))} GPUs, tune ${esc(String(s?.tune ?? ''))}. Bold green: the single best (highest allocation, lowest fragmentation); <sup>=</sup> tied; failed pods are not ranked (they differ in size between policies).</caption>`;
  } else $<HTMLTableElement>('fgd-table').innerHTML = `<caption>${s ? 'summary.json has no static-fill results' : 'no summary.json: the table needs one (written by static-fill runs since this version)'}</caption>`;
  commonNotes([]);
  $('status').textContent = `FGD study: ${fmtInt(f.rows.length)} curve points, ${new Set(f.rows.map((r) => r.policy)).size} policies, ${new Set(f.rows.map((r) => r.seed)).size} seeds`;
}
