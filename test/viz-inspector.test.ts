import { describe, expect, it } from 'vitest';
import { renderInspector } from '../viz/src/inspector.ts';
import { vizPipeline } from './helpers/viz-pipeline.ts';

/** The inspector's rows (viz/src/inspector.ts): a record's raw line as its row's title, a long one cut. */

const node = (i: number) => ({ id: `node-${String(i).padStart(5, '0')}`, cpu: 8000, memory: 1024, gpus: [{ model: 'A', capacity: 1000 }] });

function render(nodes: number) {
  const p = vizPipeline();
  const run = { t: 0, ev: 'run', run: 'r', mode: 'sim', seed: 1, queue: 'fifo', placement: 'first-fit', nodes: Array.from({ length: nodes }, (_, i) => node(i)) };
  p.feed([JSON.stringify(run), JSON.stringify({ t: 0, ev: 'end' })]);
  const table = { innerHTML: '' } as HTMLTableElement;
  const where = { textContent: '', dataset: {} } as unknown as HTMLElement;
  const decisions = { innerHTML: '' } as HTMLElement;
  renderInspector(table, decisions, where, p.v, 0, [{ run: 'r', model: p.v }]);
  const title = /<td class="raw" title="([^"]*)">/.exec(table.innerHTML)![1];
  return { line: JSON.stringify(run), title, html: table.innerHTML };
}

describe('viewer inspector', () => {
  it('shows a short record’s whole line as its title', () => {
    const { line, title } = render(2);
    expect(title.replaceAll('&#34;', '"')).toBe(line);
  });

  it('cuts a run record of 20,000 nodes to 4,000 characters in its title, saying how long it is', () => {
    const { line, title, html } = render(20_000);
    expect(line.length).toBeGreaterThan(1_000_000);
    expect(title.replaceAll('&#34;', '"')).toBe(`${line.slice(0, 4000)}… (${line.length.toLocaleString('en')} characters)`);
    // The details name the node count, not the nodes.
    expect(html).toContain('nodes=[20000]');
  });
});
