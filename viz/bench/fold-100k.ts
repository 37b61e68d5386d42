import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fastRecord, LogRecordSchema } from '../../src/log/records.ts';
import { RunModel } from '../src/run-model.ts';

/**
 * The viewer's fold alone, in Node, over an event log (default: the 100,000-job bench run):
 * the same RunModel the viewer's worker runs, fed in 1 MiB chunks as a fetch delivers them.
 * Prints the time; profile it with `node --cpu-prof --import tsx viz/bench/fold-100k.ts`.
 * Then the records' check alone: zod against the fast path (src/log/records.ts `fastRecord`).
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
const cpuTimes = new Map<string, number[]>(models.map((m) => [m.name, []]));
const rounds = Math.max(1, Number(args.values.rounds) || 1);
for (let round = 0; round < rounds; round++) {
  for (const { name, make } of models) {
    const m = make();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < text.length; i += CHUNK) m.addText(text.slice(i, i + CHUNK));
    const ms = performance.now() - t0;
    // CPU time of this process (all its threads, GC included): less sensitive than wall time to
    // other processes on a shared machine.
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    times.get(name)!.push(ms);
    cpuTimes.get(name)!.push(cpu);
    process.stdout.write(`${name}, round ${round + 1}${round === 0 ? ' (cold)' : ''}: ${m.records.length.toLocaleString('en')} records, ${m.jobs.length.toLocaleString('en')} jobs, ${m.lanes.length} lanes in ${ms.toFixed(0)} ms (CPU ${cpu.toFixed(0)} ms)\n`);
  }
}
if (rounds > 1) for (const [name, t] of times) process.stdout.write(`${name}: best warm fold ${Math.min(...t.slice(1)).toFixed(0)} ms (CPU ${Math.min(...cpuTimes.get(name)!.slice(1)).toFixed(0)} ms)\n`);

// Checking the records alone (what the fold pays per line besides folding): zod's parse of every
// record against the hand-written fast path that checkLogValue now tries first.
const values = text
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as unknown);
for (let round = 0; round < 2; round++) {
  const c0 = process.cpuUsage();
  let ok = 0;
  for (const v of values) if (LogRecordSchema.safeParse(v).success) ok++;
  const c1 = process.cpuUsage(c0);
  let fast = 0;
  for (const v of values) if (fastRecord(v)) fast++;
  const c2 = process.cpuUsage(c0);
  const ms = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  process.stdout.write(`checking ${values.length.toLocaleString('en')} records${round === 0 ? ' (cold)' : ''}: zod ${ms(c1).toFixed(0)} ms CPU (${ok.toLocaleString('en')} valid), fast path ${(ms(c2) - ms(c1)).toFixed(0)} ms CPU (${fast.toLocaleString('en')} taken)\n`);
}
