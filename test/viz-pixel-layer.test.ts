import { describe, expect, it } from 'vitest';
import { PixelLayer, rgbaOf } from '../viz/src/pixel-layer.ts';

/** The layer's pixels in row `y` from x = 0 to `w` - 1, as 'a' (colour A), 'b' (colour B) or '.' (empty). */
function row(l: PixelLayer, y: number, w: number, A: number, B: number): string {
  let s = '';
  for (let x = 0; x < w; x++) {
    const v = l.at(x, y);
    s += v === A ? 'a' : v === B ? 'b' : v === 0 ? '.' : '?';
  }
  return s;
}

describe('viewer pixel layer (rectangles rasterised in JavaScript, as fillRect draws them)', () => {
  const A = rgbaOf('#ff0000');
  const B = rgbaOf('#0000ff');

  it('packs a CSS colour as R, G, B, A bytes in memory (what ImageData reads)', () => {
    const bytes = new Uint8Array(new Uint32Array([rgbaOf('#4e79a7'), rgbaOf('#4e79a7', 0x44 / 255)]).buffer);
    expect([...bytes]).toEqual([0x4e, 0x79, 0xa7, 255, 0x4e, 0x79, 0xa7, 0x44]);
    expect(() => rgbaOf('no-colour')).toThrow(/not a CSS colour: no-colour/);
  });

  it('covers whole device pixels at ratio 1, at least one; a later rectangle replaces what is under it', () => {
    const l = new PixelLayer();
    l.begin(10, 4, 1);
    l.rect(1, 0, 3, 2, A); // x 1..3, y 0..1
    l.rect(3, 1, 0.2, 1, B); // narrower than a pixel: still one (x 3, y 1), over A
    expect(row(l, 0, 10, A, B)).toBe('.aaa......');
    expect(row(l, 1, 10, A, B)).toBe('.aab......');
    expect(row(l, 2, 10, A, B)).toBe('..........');
  });

  it('scales to device pixels at ratio 2 and clips to the plot [clipX0, clipX1)', () => {
    const l = new PixelLayer();
    l.begin(6, 2, 2, 1, 4); // device clip: x 2..7
    l.rect(0, 0, 2, 1, A); // device x 0..3, clipped to 2..3; y 0..1
    l.rect(3, 1, 3, 1, B); // device x 6..11, clipped to 6..7; y 2..3
    expect(row(l, 0, 12, A, B)).toBe('..aa........');
    expect(row(l, 1, 12, A, B)).toBe('..aa........');
    expect(row(l, 2, 12, A, B)).toBe('......bb....');
    expect(row(l, 3, 12, A, B)).toBe('......bb....');
  });

  it('starts each frame empty, whatever the last frame drew', () => {
    const l = new PixelLayer();
    l.begin(8, 3, 1);
    l.rect(0, 0, 8, 3, A);
    l.begin(8, 3, 1);
    l.rect(2, 1, 1, 1, B);
    expect([row(l, 0, 8, A, B), row(l, 1, 8, A, B), row(l, 2, 8, A, B)]).toEqual(['........', '..b.....', '........']);
  });
});
