import '../../policies/index.ts';
import { coverage } from '../conformance/coverage.ts';
import { checkIsolated, type SubjectReport } from '../conformance/isolate.ts';
import { DEFAULT_SEED, defaultRuns, groupFailures } from '../conformance/kit.ts';
import { allRegisteredSubjects, checkAny } from '../conformance/subjects.ts';
import { subjectsOfFile, PolicyFileError } from '../conformance/load.ts';
import { PROPERTIES } from '../conformance/properties.ts';
import { renderTable } from '../output/table.ts';
import { intFlag, parseCli } from './args.ts';
import { cliMain, InputError, UsageError } from './main.ts';

const MAX_RUNS = 1_000_000;

const HELP = `usage: npm run conformance -- <policy-file.ts ... | --all> [--runs N] [--seed N] [--only P,Q]
                               [--call-budget MS] [--hang-timeout SEC] [--in-process]
       npm run conformance -- --coverage [--runs N] [--seed N]

Runs gpulab's policy conformance kit (property-based tests) on the queue and placement policies
that a file exports or registers, or on every registered policy and its parameter variants with
--all. Prints which properties hold and, per distinct root cause, the smallest counterexample and
the command that reproduces it; exits 1 if any property fails.
  --runs N           generated cases per property, 1 to ${MAX_RUNS} (default 50, or GPULAB_CONFORMANCE_RUNS)
  --seed N           fast-check seed, a 32-bit integer (default ${DEFAULT_SEED}; the same seed checks the same cases)
  --only P,Q         only these properties
  --call-budget MS   wall-clock budget of one policy call (default 1000): a slower call fails
  --hang-timeout SEC a call still running after this long is a hang: reported, the rest goes on (default 10)
  --in-process       run in this process (no worker thread: a hang then hangs the command)
  --coverage         print what the scenario generators produce (queue depth, tenants, preemptions, gangs, warm starts)`;

function reproduce(target: string, seed: number, runs: number, property: string): string {
  return `npm run conformance -- ${target} --seed ${seed} --runs ${runs} --only ${property}`;
}

export function report(rep: SubjectReport, target: string, seed: number, runs: number): string {
  const rows = rep.results.map((r) => [r.property, r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : 'n/a', r.runs, r.description || PROPERTIES.find((p) => p.name === r.property)?.description || '']);
  const out = [`${rep.kind} policy '${rep.label}'`, renderTable(['property', 'result', 'runs', 'what it checks'], rows)];
  for (const g of groupFailures(rep.results)) {
    const r = g.first;
    out.push(`\nFAIL — ${g.cause} (found by ${g.properties.join(', ')})`);
    out.push(`  ${r.property}: ${r.error}`);
    if (r.counterexample) out.push(`  smallest counterexample${r.size !== undefined ? ` (${r.size} jobs)` : ''}:\n${r.counterexample.replace(/^/gm, '    ')}`);
    out.push(`  reproduce: ${reproduce(target, seed, runs, r.property)}`);
  }
  return out.join('\n');
}

/** GPULAB_CONFORMANCE_RUNS or 50; a bad value is a usage error. */
function envRuns(): number {
  try {
    return defaultRuns();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    runs: { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string' },
    'call-budget': { type: 'string' },
    'hang-timeout': { type: 'string' },
    'in-process': { type: 'boolean' },
    coverage: { type: 'boolean' },
    all: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  // Flags first: a bad one is reported before any policy module is imported.
  const numRuns = values.runs === undefined ? envRuns() : intFlag('--runs', values.runs, 1, MAX_RUNS);
  const seed = values.seed === undefined ? DEFAULT_SEED : intFlag('--seed', values.seed, -(2 ** 31), 2 ** 31 - 1);
  const callBudgetMs = values['call-budget'] === undefined ? 1000 : intFlag('--call-budget', values['call-budget'], 1, 3_600_000);
  const hangMs = 1000 * (values['hang-timeout'] === undefined ? 10 : intFlag('--hang-timeout', values['hang-timeout'], 1, 86_400));
  const known = PROPERTIES.map((p) => p.name);
  const only = values.only?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const unknown = only?.filter((o) => !known.includes(o)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--only: unknown property ${unknown.join(', ')} (known: ${known.join(', ')})`);
  if (values.coverage) {
    const rows = coverage(numRuns, seed).map((c) => [c.family, c.scenarios, c.jobs, `${c.queueP50}/${c.queueP90}/${c.queueMax}`, c.deep, c.tenantsMax, c.weighted, c.preemptions, c.spanningGangs, c.queueFullPct.toFixed(1), c.noStart, `${c.warmStarts}/${c.coldStarts}`]);
    process.stdout.write(renderTable(['family', 'scenarios', 'jobs', 'queue p50/p90/max', '≥100 queued', 'tenants max', 'weighted', 'preemptions', 'spanning gangs', 'queue-full %', 'no start', 'warm/cold starts'], rows) + '\n');
    return 0;
  }
  if (positionals.length === 0 && !values.all) throw new UsageError('name a policy file (or several), or --all');
  if (positionals.length > 0 && values.all) throw new UsageError(`--all checks every registered policy: drop ${positionals.join(' ')}, or --all`);
  const opts = { numRuns, seed, callBudgetMs, hangMs, ...(only ? { only } : {}) };
  const targets: (string | undefined)[] = values.all ? [undefined] : positionals;
  let failed = 0;
  let subjects = 0;
  for (const target of targets) {
    let reps: SubjectReport[];
    try {
      if (values['in-process']) {
        const list = target === undefined ? allRegisteredSubjects() : await subjectsOfFile(target);
        reps = list.map((s) => {
          const t0 = performance.now();
          const results = checkAny(s, opts);
          return { label: s.label, kind: s.kind, results, ms: performance.now() - t0 };
        });
      } else {
        reps = await checkIsolated(target, opts);
      }
    } catch (e) {
      if (e instanceof PolicyFileError) throw new InputError(e.message);
      throw e;
    }
    if (reps.length === 0) throw new UsageError(`${target}: exports or registers no queue, placement, routing or warm-pool policy`);
    for (const rep of reps) {
      subjects++;
      failed += groupFailures(rep.results).length;
      process.stdout.write(`${report(rep, target ?? `--all`, seed, numRuns)}\n(${(rep.ms / 1000).toFixed(1)} s)\n\n`);
    }
  }
  process.stdout.write(failed === 0 ? `all properties hold (${subjects} ${subjects === 1 ? 'policy' : 'policies'})\n` : `${failed} distinct ${failed === 1 ? 'failure' : 'failures'}\n`);
  return failed === 0 ? 0 : 1;
}

await cliMain(main);
