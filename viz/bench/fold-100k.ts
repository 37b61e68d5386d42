import { readFileSync } from 'node:fs';
import { RunModel } from '../src/run-model.ts';

/**
 * The viewer's fold alone, in Node, over an event log (default: the 100,000-job bench run):
 * the same RunModel the viewer's worker runs, fed in 1 MiB chunks as a fetch delivers them.
 * Prints the time; profile it with `node --cpu-prof --import tsx viz/bench/fold-100k.ts`.
 * Usage: npx tsx viz/bench/fold-100k.ts [events.jsonl]
 */
const file = process.argv[2] ?? 'out/viz-100k/fifo+best-fit/seed-1/events.jsonl';
const text = readFileSync(file, 'utf8');
const CHUNK = 1 << 20;
for (let round = 0; round < 2; round++) {
  const m = new RunModel();
  const t0 = performance.now();
  for (let i = 0; i < text.length; i += CHUNK) m.addText(text.slice(i, i + CHUNK));
  const ms = performance.now() - t0;
  process.stdout.write(`fold ${round === 0 ? '(cold)' : '(warm)'}: ${m.records.length.toLocaleString('en')} records, ${m.jobs.length.toLocaleString('en')} jobs, ${m.lanes.length} lanes in ${ms.toFixed(0)} ms\n`);
}
