import { color } from 'd3';

/**
 * A layer of opaque or translucent axis-aligned rectangles rasterised in JavaScript into one pixel
 * buffer, then put on a canvas in one call. For a view that draws tens of thousands of small
 * rectangles (the schedule's bars, the heatmap's cells) this costs a few milliseconds, where one
 * `fillRect` per rectangle (each with its own `fillStyle`) costs hundreds. Rectangles are given in
 * CSS pixels and cover the device pixels from round(x · dpr) to round((x + w) · dpr) (at least
 * one), so at a device pixel ratio of 1 integer rectangles look exactly as `fillRect` draws them;
 * a later rectangle replaces what is under it (no blending inside the layer). `compose` draws the
 * layer over what the canvas already holds (alpha-blended, as drawImage does).
 */
export class PixelLayer {
  /** Device pixels, one RGBA value each (byte order R, G, B, A in memory). */
  private px = new Uint32Array(0);
  private img: ImageData | undefined;
  private canvas: HTMLCanvasElement | OffscreenCanvas | undefined;
  private W = 0;
  private H = 0;
  private dpr = 1;
  /** Rows touched since `begin` (device pixels), so `compose` puts only those. */
  private yMin = Infinity;
  private yMax = -Infinity;
  /** The clip, in device pixels: [x0, x1) × [0, H). */
  private cx0 = 0;
  private cx1 = 0;

  /** Starts a frame of `w` × `h` CSS pixels at ratio `dpr`, empty, clipped to x in [clipX0, clipX1). */
  begin(w: number, h: number, dpr: number, clipX0 = 0, clipX1 = w): void {
    const W = Math.max(1, Math.round(w * dpr));
    const H = Math.max(1, Math.round(h * dpr));
    if (W !== this.W || H !== this.H) {
      this.W = W;
      this.H = H;
      this.px = new Uint32Array(W * H);
      // The image and its canvas are made on the first compose (a page's; tests only rasterise).
      this.img = undefined;
      this.canvas = undefined;
      this.yMin = Infinity;
      this.yMax = -Infinity;
    }
    // Clear only what the last frame touched (a fresh buffer is already empty).
    if (this.yMin <= this.yMax) this.px.fill(0, this.yMin * W, (this.yMax + 1) * W);
    this.dpr = dpr;
    this.cx0 = Math.max(0, Math.round(clipX0 * dpr));
    this.cx1 = Math.min(W, Math.round(clipX1 * dpr));
    this.yMin = Infinity;
    this.yMax = -Infinity;
  }

  /** Fills x, y, w, h (CSS pixels) with `rgba` (from `rgbaOf`). */
  rect(x: number, y: number, w: number, h: number, rgba: number): void {
    const d = this.dpr;
    let x0 = Math.round(x * d);
    let x1 = Math.round((x + w) * d);
    let y0 = Math.round(y * d);
    let y1 = Math.round((y + h) * d);
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    if (x0 < this.cx0) x0 = this.cx0;
    if (x1 > this.cx1) x1 = this.cx1;
    if (y0 < 0) y0 = 0;
    if (y1 > this.H) y1 = this.H;
    if (x1 <= x0 || y1 <= y0) return;
    if (y0 < this.yMin) this.yMin = y0;
    if (y1 - 1 > this.yMax) this.yMax = y1 - 1;
    const W = this.W;
    const px = this.px;
    if (x1 - x0 <= 8) {
      for (let r = y0; r < y1; r++) for (let i = r * W + x0, e = r * W + x1; i < e; i++) px[i] = rgba;
    } else for (let r = y0; r < y1; r++) px.fill(rgba, r * W + x0, r * W + x1);
  }

  /** The pixel value at device pixel (x, y): 0 where nothing was drawn since `begin`. */
  at(x: number, y: number): number {
    return x >= 0 && x < this.W && y >= 0 && y < this.H ? this.px[y * this.W + x] : 0;
  }

  /** Draws the layer over `ctx`'s canvas (whose size must be the layer's) at its origin. */
  compose(ctx: CanvasRenderingContext2D): void {
    if (this.yMin > this.yMax) return;
    this.img ??= new ImageData(new Uint8ClampedArray(this.px.buffer), this.W, this.H);
    this.canvas ??= typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(this.W, this.H) : Object.assign(document.createElement('canvas'), { width: this.W, height: this.H });
    const c = this.canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
    const h = this.yMax - this.yMin + 1;
    c.putImageData(this.img, 0, 0, 0, this.yMin, this.W, h);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.canvas, 0, this.yMin, this.W, h, 0, this.yMin, this.W, h);
    ctx.restore();
  }
}

const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const cache = new Map<string, number>();

/** A CSS colour as one pixel value of a PixelLayer (`alpha` multiplies the colour's own). */
export function rgbaOf(css: string, alpha = 1): number {
  const key = alpha === 1 ? css : `${css}\u0000${alpha}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const c = color(css)?.rgb();
  if (!c) throw new Error(`not a CSS colour: ${css}`);
  const r = Math.round(c.r);
  const g = Math.round(c.g);
  const b = Math.round(c.b);
  const a = Math.round(255 * c.opacity * alpha);
  const v = (little ? ((a << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | a)) >>> 0;
  cache.set(key, v);
  return v;
}
