import { esc, fmtInt, fmtT } from './format.ts';
import { routingLine } from './job-routing-view.ts';
import { treeLine } from './job-tree-view.ts';
import type { JobInfo, RunView as RunModel } from './run-view.ts';

/** Fills and places the tooltip for a job under the pointer (client coordinates). */
export function showJobTip(tip: HTMLElement, m: RunModel, colorOf: (tenant: string) => string, job: JobInfo, clientX: number, clientY: number): void {
  const r = job.row;
  const wait = r.start >= 0 ? r.start - r.submit : NaN;
  const ran = r.start >= 0 ? (r.end >= 0 ? r.end : m.lastT) - r.start : NaN;
  const demand = job.gpus > 0 ? `${job.gpus} GPU × ${r.reqMilli} milli${r.milli > 0 && r.milli !== r.reqMilli ? ` (granted ${r.milli})` : ''}` : 'CPU only';
  const tree = treeLine(m, r.id, job.parent, job.depth);
  const routing = routingLine(job);
  const marks = [r.preemptions > 0 ? `preempted ${r.preemptions}×` : '', r.nodeLosses > 0 ? `lost with its node ${r.nodeLosses}×` : '', r.lostMs > 0 ? `lost work ${fmtT(r.lostMs)}` : ''].filter(Boolean).join(' · ');
  tip.innerHTML =
    `<b>${esc(r.id)}</b> <span style="color:${colorOf(r.tenant)}">■</span> ${esc(r.tenant)}<br>` +
    `demand: ${demand}, ${fmtInt(job.cpu / 1000)} CPU, ${fmtInt(job.mem)} MiB · nominal ${fmtT(job.dur)}<br>` +
    `submit ${fmtT(r.submit)} · start ${fmtT(r.start >= 0 ? r.start : NaN)} · end ${fmtT(r.end >= 0 ? r.end : NaN)}<br>` +
    `wait ${fmtT(wait)} · ran ${fmtT(ran)} · state <b>${esc(r.state)}</b><br>` +
    (r.node ? `on ${esc(r.node)} gpus [${esc(r.gpus)}] · ` : '') +
    `attempts ${r.attempts}` +
    (marks ? `<br>${marks}` : '') +
    (r.reason ? `<br>reason: ${esc(r.reason)}` : '') +
    (job.extra ? `<br>${esc(job.extra)}` : '') +
    (tree ? `<br>${esc(tree)} <small>(click: its tree below the inspector)</small>` : '') +
    (routing ? `<br>${esc(routing)} <small>(click: its routing below the inspector)</small>` : '');
  tip.dataset.job = r.id;
  tip.hidden = false;
  const w = tip.offsetWidth;
  tip.style.left = `${Math.min(clientX + 14, window.innerWidth - w - 8)}px`;
  tip.style.top = `${clientY + 14}px`;
}
