import * as d3 from 'd3';
import { lowerBound, timeAxis } from './format.ts';
import type { GanttHost } from './gantt.ts';
import { LEFT, RIGHT, timeScale } from './layout.ts';

/** Overview strip: allocation over the whole run with a brush that sets the visible range. */
export class GanttOverview {
  private brush: d3.BrushBehavior<unknown> | undefined;
  private movingBrush = false;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly host: GanttHost,
  ) {}

  /** Draws the strip for the whole run and a fresh brush on it. */
  render(width: number): void {
    const m = this.host.model();
    const full = this.host.full();
    const x = timeScale(full, width);
    const h = 34;
    const svg = d3.select(this.svg).attr('width', width).attr('height', h + 18);
    svg.selectAll('*').remove();
    const s = m.series;
    const cols: [number, number][] = [];
    const cap = m.gpuCapacity || 1;
    for (let px = LEFT; px <= width - RIGHT; px += 2) {
      const i = lowerBound(s.t, x.invert(px) + 1e-9) - 1;
      cols.push([px, i >= 0 ? s.alloc[i] / cap : 0]);
    }
    const y = d3.scaleLinear().domain([0, 1]).range([h, 2]);
    svg
      .append('path')
      .attr('d', d3.area<[number, number]>().x((d) => d[0]).y0(h).y1((d) => y(d[1])).curve(d3.curveStepAfter)(cols) ?? '')
      .attr('fill', '#9db8d9');
    svg.append('text').attr('x', 4).attr('y', 14).attr('font-size', 10).text('overview: brush');
    svg.append('text').attr('x', 4).attr('y', 26).attr('font-size', 10).attr('fill', '#666').text('a range to zoom');
    svg
      .append('g')
      .attr('transform', `translate(0,${h})`)
      .call(timeAxis(d3.axisBottom(x), x));
    this.brush = d3
      .brushX()
      .extent([
        [LEFT, 0],
        [width - RIGHT, h],
      ])
      .on('end', (ev: d3.D3BrushEvent<unknown>) => {
        if (this.movingBrush || !ev.sourceEvent) return;
        const sel = ev.selection as [number, number] | null;
        this.host.setDomain(sel ? [x.invert(sel[0]), x.invert(sel[1])] : full);
      });
    svg.append('g').attr('class', 'brush').call(this.brush);
    this.sync(width);
  }

  /** Moves the brush to the visible range without feeding back into setDomain. */
  sync(width: number): void {
    if (!this.brush) return;
    const full = this.host.full();
    const [d0, d1] = this.host.domain();
    const x = timeScale(full, width);
    this.movingBrush = true;
    const g = d3.select(this.svg).select<SVGGElement>('g.brush');
    const isFull = d0 <= full[0] && d1 >= full[1];
    g.call(this.brush.move, isFull ? null : [x(d0), x(d1)]);
    this.movingBrush = false;
  }
}
