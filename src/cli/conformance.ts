import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import '../../policies/index.ts';
import { checkSubject, defaultRuns, subjectFor, type PropertyResult } from '../conformance/kit.ts';
import { renderTable } from '../output/table.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import {
  placementPolicyFactory,
  placementPolicyNames,
  queuePolicyFactory,
  queuePolicyNames,
} from '../scheduler/registry.ts';
import { intFlag, parseCli } from './args.ts';
import { cliMain, InputError, UsageError } from './main.ts';

const MAX_RUNS = 1_000_000;

const HELP = `usage: npm run conformance -- <policy-file.ts | --all> [--runs N] [--seed N]

Runs gpulab's policy conformance kit (property-based tests) on the queue and placement policies
that a file exports or registers, or on every registered policy with --all. Prints which
properties hold and the shrunk counterexample of each failure; exits 1 if any fails.
  --runs N   generated cases per property, 1 to ${MAX_RUNS} (default ${defaultRuns()}, or GPULAB_CONFORMANCE_RUNS)
  --seed N   fast-check seed, a 32-bit integer (to replay a failure: --seed -5 and --seed=-5 both work)`;


type AnyPolicy = QueuePolicy | PlacementPolicy;

function isPolicy(x: unknown): x is AnyPolicy {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.name === 'string' && (typeof o.place === 'function' || typeof o.order === 'function');
}

/** Policies a module exports as objects, plus those it registers by name. */
async function policiesOf(file: string): Promise<AnyPolicy[]> {
  const beforeQ = new Set(queuePolicyNames());
  const beforeP = new Set(placementPolicyNames());
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new InputError(`${file}: no such file`);
  }
  if (!isFile) throw new InputError(`${file}: not a file (a policy module, .ts or .js)`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: cannot import: ${(e as Error).message}`);
  }
  const found = new Map<string, AnyPolicy>();
  for (const v of Object.values(mod)) if (isPolicy(v)) found.set(`${'place' in v ? 'p' : 'q'}:${v.name}`, v);
  for (const n of queuePolicyNames()) if (!beforeQ.has(n) && !found.has(`q:${n}`)) found.set(`q:${n}`, queuePolicyFactory(n)({}));
  for (const n of placementPolicyNames()) if (!beforeP.has(n) && !found.has(`p:${n}`)) found.set(`p:${n}`, placementPolicyFactory(n)({}));
  return [...found.values()];
}

function allRegistered(): AnyPolicy[] {
  return [...queuePolicyNames().map((n) => queuePolicyFactory(n)({})), ...placementPolicyNames().map((n) => placementPolicyFactory(n)({}))];
}

export function report(policy: AnyPolicy, results: readonly PropertyResult[]): string {
  const kind = 'place' in policy ? 'placement' : 'queue';
  const rows = results.map((r) => [r.property, r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : 'n/a', r.runs, r.description]);
  const out = [`${kind} policy '${policy.name}'`, renderTable(['property', 'result', 'runs', 'what it checks'], rows)];
  for (const r of results.filter((x) => x.status === 'fail')) {
    out.push(`\nFAIL ${r.property}: ${r.error}`);
    out.push(`  shrunk counterexample:\n${(r.counterexample ?? '').replace(/^/gm, '    ')}`);
    out.push(`  replay: --seed ${r.replay?.seed} (fast-check path ${r.replay?.path})`);
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    runs: { type: 'string' },
    seed: { type: 'string' },
    all: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  // Flags first: a bad one is reported before any policy module is imported.
  const numRuns = values.runs === undefined ? undefined : intFlag('--runs', values.runs, 1, MAX_RUNS);
  const seed = values.seed === undefined ? undefined : intFlag('--seed', values.seed, -(2 ** 31), 2 ** 31 - 1);
  if (positionals.length === 0 && !values.all) throw new UsageError('name a policy file (or several), or --all');
  if (positionals.length > 0 && values.all) throw new UsageError(`--all checks every registered policy: drop ${positionals.join(' ')}, or --all`);
  const policies = values.all ? allRegistered() : (await Promise.all(positionals.map(policiesOf))).flat();
  if (policies.length === 0) throw new UsageError(`${positionals.join(', ')}: exports or registers no queue or placement policy`);
  let failed = 0;
  for (const p of policies) {
    const t0 = performance.now();
    const results = checkSubject(subjectFor(p), { numRuns, seed });
    failed += results.filter((r) => r.status === 'fail').length;
    process.stdout.write(`${report(p, results)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n\n`);
  }
  process.stdout.write(failed === 0 ? 'all properties hold\n' : `${failed} properties failed\n`);
  return failed === 0 ? 0 : 1;
}

await cliMain(main);
