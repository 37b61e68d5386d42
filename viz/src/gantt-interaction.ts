import type { GanttHost } from './gantt.ts';
import { clampDomain, LEFT, RIGHT, timeScale, type Domain } from './layout.ts';
import type { JobInfo } from './run-view.ts';

/** What the pointer handlers need of the Gantt. */
export interface GanttControls {
  readonly host: GanttHost;
  /** The canvas width (CSS px) of the last frame. */
  width(): number;
  zoomAt(px: number, factor: number): void;
  hit(px: number, py: number): JobInfo | undefined;
  showTip(job: JobInfo, clientX: number, clientY: number): void;
  /** The node, or a hierarchy's shard header, whose label is at canvas y `py`. */
  labelAt(py: number): { kind: 'node' | 'shard'; id: string } | undefined;
  /** `all`: a shard header clicked with Shift sets every shard as this one goes. */
  toggle(label: { kind: 'node' | 'shard'; id: string }, all: boolean): boolean;
}

/**
 * The Gantt's pointer handling: wheel zooms around the pointer, drag pans, a click on the plot
 * selects a moment, a click on a node's (or a shard header's) label collapses or expands it, double click shows all.
 */
export function wireGantt(c: HTMLCanvasElement, tooltip: HTMLElement, g: GanttControls): void {
  const host = g.host;
  let drag: { x: number; d: Domain; moved: boolean } | undefined;
  c.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault();
      const rect = c.getBoundingClientRect();
      g.zoomAt(ev.clientX - rect.left, Math.exp(ev.deltaY * 0.002));
    },
    { passive: false },
  );
  c.addEventListener('pointerdown', (ev) => {
    drag = { x: ev.clientX, d: host.domain(), moved: false };
    c.setPointerCapture(ev.pointerId);
  });
  c.addEventListener('pointermove', (ev) => {
    const rect = c.getBoundingClientRect();
    if (drag) {
      const dx = ev.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (drag.moved) {
        const span = drag.d[1] - drag.d[0];
        const dt = (-dx / (g.width() - LEFT - RIGHT)) * span;
        host.setDomain(clampDomain([drag.d[0] + dt, drag.d[1] + dt], host.full()));
        tooltip.hidden = true;
        return;
      }
    }
    const job = g.hit(ev.clientX - rect.left, ev.clientY - rect.top);
    if (job) g.showTip(job, ev.clientX, ev.clientY);
    else {
      tooltip.hidden = true;
      delete tooltip.dataset.job;
    }
  });
  c.addEventListener('pointerup', (ev) => {
    if (drag && !drag.moved) {
      const rect = c.getBoundingClientRect();
      const px = ev.clientX - rect.left;
      if (px >= LEFT) {
        host.setCursor(timeScale(host.domain(), g.width()).invert(px));
        // A click on a bar also picks its job for the job tree panel (job-tree-view.ts).
        const job = g.hit(px, ev.clientY - rect.top);
        if (job) c.dispatchEvent(new CustomEvent('job-pick', { detail: job.row.id }));
      }
      else {
        const label = g.labelAt(ev.clientY - rect.top);
        if (label !== undefined) g.toggle(label, ev.shiftKey);
      }
    }
    drag = undefined;
  });
  c.addEventListener('pointerleave', () => {
    tooltip.hidden = true;
  });
  c.addEventListener('dblclick', () => host.setDomain(host.full()));
}
