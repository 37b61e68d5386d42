import { mergeParts, MergeError } from '../sweep/merge.ts';
import { checkOutDir, parseCli } from './args.ts';
import { cliMain, UsageError } from './main.ts';

const HELP = `usage: npm run merge -- <part dir>… --out DIR

Combines the parts of a sharded sweep (each written by npm run sim -- <scenario> --shard i/n
--out <part dir>) into exactly what one unsharded run of the scenario writes to DIR: every run's
files, summary.json and, for a static fill, fgd-curve.csv. The parts must be of the same scenario
and seeds and together hold every run. README "Sweeps and shards".
  --out DIR    the merged output (absent, empty or a previous output: replaced once complete)
  --help       this text`;

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2), { out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } });
  if (args.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError('expected one or more part directories');
  if (args.values.out === undefined) throw new UsageError('--out DIR is required');
  checkOutDir('--out', args.values.out);
  const t0 = performance.now();
  try {
    const r = await mergeParts(args.positionals, args.values.out);
    process.stdout.write(`merged ${r.parts} part${r.parts === 1 ? '' : 's'} of ${r.scenario}: ${r.runs} runs in ${((performance.now() - t0) / 1000).toFixed(2)} s\noutputs: ${args.values.out}/ (summary.json)\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof MergeError) && !/sweep-part\.json/.test((e as Error).message)) throw e;
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}

await cliMain(main);
