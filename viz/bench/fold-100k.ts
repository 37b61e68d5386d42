import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RunModel } from '../src/run-model.ts';

/**
 * The viewer's fold alone, in Node, over an event log (default: the 100,000-job bench run):
 * the same RunModel the viewer's worker runs, fed in 1 MiB chunks as a fetch delivers them.
 * Prints the time; profile it with `node --cpu-prof --import tsx viz/bench/fold-100k.ts`.
 * Usage: npx tsx viz/bench/fold-100k.ts [events.jsonl] [--baseline DIR] [--rounds N]
 * `--baseline`: a directory holding an older `viz/` and `src/` (see load-100k.ts); its RunModel
 * folds the same text in the same run, the two alternating, so a loaded machine affects both alike.
 */
const args = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' }, rounds: { type: 'string', default: '3' } } });
const file = args.positionals[0] ?? 'out/viz-100k/fifo+best-fit/seed-1/events.jsonl';
const text = readFileSync(file, 'utf8');
const CHUNK = 1 << 20;
type Model = { addText(s: string): number; records: { length: number }; jobs: { length: number }; lanes: { length: number } };
const models: { name: string; make: () => Model }[] = [];
if (args.values.baseline) {
  const dir = resolve(args.values.baseline);
  const { RunModel: Base } = (await import(join(dir, 'viz/src/run-model.ts'))) as { RunModel: new () => Model };
  models.push({ name: 'baseline', make: () => new Base() });
}
models.push({ name: 'this checkout', make: () => new RunModel() });
const times = new Map<string, number[]>(models.map((m) => [m.name, []]));
const rounds = Math.max(1, Number(args.values.rounds) || 1);
for (let round = 0; round < rounds; round++) {
  for (const { name, make } of models) {
    const m = make();
    const t0 = performance.now();
    for (let i = 0; i < text.length; i += CHUNK) m.addText(text.slice(i, i + CHUNK));
    const ms = performance.now() - t0;
    times.get(name)!.push(ms);
    process.stdout.write(`${name}, round ${round + 1}${round === 0 ? ' (cold)' : ''}: ${m.records.length.toLocaleString('en')} records, ${m.jobs.length.toLocaleString('en')} jobs, ${m.lanes.length} lanes in ${ms.toFixed(0)} ms\n`);
  }
}
if (rounds > 1) for (const [name, t] of times) process.stdout.write(`${name}: best warm fold ${Math.min(...t.slice(1)).toFixed(0)} ms\n`);
