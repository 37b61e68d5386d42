/**
 * Exports of a panel: its picture as PNG (canvas, or an SVG chart rasterised) or SVG, and the data
 * behind it as CSV. Downloads go through a temporary <a download>; names are
 * `<scenario>-<panel>.<ext>`.
 */
import { max, min } from 'd3';

function download(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export function downloadCsv(name: string, csv: string): void {
  download(name, new Blob([csv], { type: 'text/csv;charset=utf-8' }));
}

function svgText(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  // Axis text takes its size from the page's CSS; inline it so the file looks the same.
  clone.querySelectorAll('text').forEach((t) => {
    if (!t.getAttribute('font-size')) t.setAttribute('font-size', '10');
    t.setAttribute('font-family', 'system-ui, sans-serif');
  });
  return new XMLSerializer().serializeToString(clone);
}

/** Every <svg> chart of a panel, side by side in one SVG file. */
export function downloadSvg(name: string, svgs: SVGSVGElement[]): void {
  download(name, new Blob([joinSvgs(svgs)], { type: 'image/svg+xml' }));
}

function joinSvgs(svgs: SVGSVGElement[]): string {
  if (svgs.length === 1) return svgText(svgs[0]);
  const W = svgs.reduce((a, s) => a + Number(s.getAttribute('width') ?? 0), 0);
  const H = max(svgs, (s) => Number(s.getAttribute('height') ?? 0)) ?? 0;
  let x = 0;
  const parts = svgs.map((s) => {
    const out = `<g transform="translate(${x},0)">${svgText(s)}</g>`;
    x += Number(s.getAttribute('width') ?? 0);
    return out;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

/** A PNG of a panel's canvases and SVG charts, stacked top to bottom in page order. */
export async function downloadPng(name: string, parts: (HTMLCanvasElement | SVGSVGElement)[]): Promise<void> {
  const boxes = parts.map((p) => p.getBoundingClientRect());
  const top = min(boxes, (b) => b.top) ?? 0;
  const left = min(boxes, (b) => b.left) ?? 0;
  const W = (max(boxes, (b) => b.right) ?? 0) - left;
  const H = (max(boxes, (b) => b.bottom) ?? 0) - top;
  const c = document.createElement('canvas');
  c.width = Math.ceil(W);
  c.height = Math.ceil(H);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  for (const [i, p] of parts.entries()) {
    const b = boxes[i];
    if (p instanceof HTMLCanvasElement) ctx.drawImage(p, b.left - left, b.top - top, b.width, b.height);
    else {
      const img = new Image();
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText(p))}`;
      await img.decode();
      ctx.drawImage(img, b.left - left, b.top - top, b.width, b.height);
    }
  }
  const blob = await new Promise<Blob | null>((ok) => c.toBlob(ok, 'image/png'));
  if (blob) download(name, blob);
}

/** Adds PNG / SVG / CSV buttons to `bar` for a panel. */
export function exportButtons(bar: HTMLElement, panel: string, o: { parts: () => (HTMLCanvasElement | SVGSVGElement)[]; csv?: () => string; scenario: () => string }): void {
  bar.classList.add('export');
  const btn = (label: string, fn: () => void) => {
    const b = document.createElement('button');
    b.textContent = label;
    b.dataset.export = `${panel}-${label.toLowerCase()}`;
    b.title = `download this panel as ${label}`;
    b.addEventListener('click', fn);
    bar.append(b);
  };
  const base = () => `${o.scenario() || 'gpulab'}-${panel}`;
  btn('PNG', () => void downloadPng(`${base()}.png`, o.parts()));
  btn('SVG', () => {
    const svgs = o.parts().filter((p): p is SVGSVGElement => p instanceof SVGSVGElement);
    downloadSvg(`${base()}.svg`, svgs);
  });
  if (o.csv) btn('CSV', () => downloadCsv(`${base()}.csv`, o.csv!()));
}
