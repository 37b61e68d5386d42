import { RunModel } from '../../viz/src/run-model.ts';
import { RunView } from '../../viz/src/run-view.ts';
import { DeltaEncoder } from '../../viz/src/wire.ts';

const enc = new TextEncoder();

/**
 * A worker fold (`m`) and the page's view of it (`v`), as the viewer runs them: each `feed(lines)`
 * folds the lines with their byte offsets in the log and applies the delta they make to the page.
 */
export function vizPipeline(): { m: RunModel; v: RunView; feed(lines: string[]): void } {
  const m = new RunModel();
  const e = new DeltaEncoder(m);
  const v = new RunView();
  let at = 0;
  return {
    m,
    v,
    feed(lines: string[]) {
      const starts: number[] = [];
      const ends: number[] = [];
      for (const l of lines) {
        starts.push(at);
        at += enc.encode(l).length;
        ends.push(at);
        at++;
      }
      e.addBytes(enc.encode(lines.map((l) => l + '\n').join('')), starts, ends);
      m.addLines(lines);
      v.apply(e.encode(false).delta);
    },
  };
}
