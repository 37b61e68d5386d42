import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describeScenario, type GeneratedScenario } from './arbitraries.ts';
import { DEFAULT_SEED, type KitOptions, type PropertyResult } from './kit.ts';
import { PolicyFileError } from './load.ts';
import type { PolicyKind } from './subjects.ts';
import { PROPERTIES } from './properties.ts';

/**
 * Runs the kit in a worker thread, so that a policy call that never returns is reported instead
 * of hanging the caller (the CLI, or a test under vitest). Design: the worker runs every property
 * of every subject in turn and writes the policy call in progress to shared memory (which policy,
 * method, job, simulated time and the size of its input) and posts each case before simulating
 * it; this thread polls the shared record and, when one call has run past `hangMs`, terminates
 * the worker (which stops even a `while (true) {}`), records a failure naming the call, the
 * property, the case and its size, and starts a fresh worker for the policies that remain (the
 * hung policy's other properties are not run: each would most likely hang as well).
 * Slow calls that do return are failed inside the worker by the per-call budget (guarded.ts).
 */

export interface SubjectReport {
  readonly label: string;
  readonly kind: PolicyKind;
  readonly results: PropertyResult[];
  readonly ms: number;
}

export interface IsolatedOptions extends KitOptions {
  /** A policy call running longer than this (wall ms) is a hang: the worker is stopped. Default 10 s. */
  readonly hangMs?: number;
}

// tsx's CommonJS and ESM hooks both (as its CLI does): a policy file outside an ESM package loads as CommonJS.
const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  require(workerData.tsxCjs).register();
  const api = await import(workerData.tsx);
  api.register();
  await import(workerData.entry);
})().catch((e) => { console.error(e); process.exit(1); });
`;

const MAX_CASE_LINES = 40;

function shortCase(sc: GeneratedScenario): string {
  const lines = describeScenario(sc).split('\n');
  return lines.length <= MAX_CASE_LINES ? lines.join('\n') : [...lines.slice(0, MAX_CASE_LINES), `  … ${lines.length - MAX_CASE_LINES} more lines`].join('\n');
}

/** Checks the policies of `file` (or every registered policy with its variants when `file` is undefined). */
export async function checkIsolated(file: string | undefined, opts: IsolatedOptions = {}): Promise<SubjectReport[]> {
  const hangMs = opts.hangMs ?? 10_000;
  const require = createRequire(import.meta.url);
  // The ESM entry of tsx's API (require.resolve would give its CommonJS twin).
  const tsx = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const tsxCjs = join(dirname(require.resolve('tsx/package.json')), 'dist/cjs/api/index.cjs');
  const entry = new URL('./isolate-worker.ts', import.meta.url).href;
  const reports = new Map<string, { label: string; kind: PolicyKind; results: PropertyResult[]; ms: number }>();
  /** Display labels by subject key (the worker keys subjects by kind and label). */
  const labels = new Map<string, string>();
  const report = (key: string, kind: PolicyKind) => {
    let r = reports.get(key);
    if (!r) reports.set(key, (r = { label: labels.get(key) ?? key, kind, results: [], ms: 0 }));
    return r;
  };
  /** Properties started (done or hung), per subject: a restarted worker skips them. */
  const skip: Record<string, string[]> = {};
  const { onProperty: _p, ...plain } = opts;
  for (;;) {
    const sab = new SharedArrayBuffer(16 + 2048);
    const ctl = new Int32Array(sab, 0, 2);
    const started = new Float64Array(sab, 8, 1);
    const text = new Uint8Array(sab, 16);
    const worker = new Worker(BOOT, { eval: true, workerData: { tsx, tsxCjs, entry, file, opts: plain, skip, done: [], sab } });
    let current: { subject: string; property: string; t0: number } | undefined;
    let lastCase: GeneratedScenario | undefined;
    let kinds = new Map<string, PolicyKind>();
    let hung = false;
    const outcome = await new Promise<'done' | 'hang'>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Atomics.load(ctl, 0) !== 1 || !current) return;
        const ran = performance.timeOrigin + performance.now() - started[0];
        if (ran < hangMs) return;
        clearInterval(timer);
        const call = new TextDecoder().decode(text.slice(0, Atomics.load(ctl, 1)));
        const { subject, property } = current;
        const sc = lastCase;
        const error = `Hang: ${call} did not return within ${(hangMs / 1000).toFixed(1)} s (stopped)${sc ? `; case: ${sc.family ?? 'scenario'} with ${sc.jobs.length} jobs on ${sc.nodes.length} nodes` : ''}`;
        report(subject, kinds.get(subject) ?? 'queue').results.push({
          property,
          description: '',
          status: 'fail',
          runs: 0,
          error,
          cause: 'a policy call never returned (hang)',
          ...(sc ? { counterexample: shortCase(sc), size: sc.jobs.length } : {}),
          replay: { seed: opts.seed ?? DEFAULT_SEED, path: '' },
          ms: performance.now() - current.t0,
        });
        hung = true;
        // The rest of this policy's properties are not run: each would most likely hang too.
        skip[subject] = ['*'];
        void worker.terminate().then(() => resolve('hang'));
      }, Math.max(20, Math.min(250, hangMs / 8)));
      worker.on('message', (m: { type: string } & Record<string, unknown>) => {
        if (m.type === 'subjects') {
          const list = m.list as { key: string; label: string; kind: PolicyKind }[];
          for (const x of list) labels.set(x.key, x.label);
          kinds = new Map(list.map((x) => [x.key, x.kind]));
          for (const [l, k] of kinds) report(l, k);
        } else if (m.type === 'property') {
          current = { subject: m.subject as string, property: m.property as string, t0: performance.now() };
          (skip[current.subject] ??= []).push(current.property);
          opts.onProperty?.(`${current.subject}: ${current.property}`);
        } else if (m.type === 'case') lastCase = m.sc as GeneratedScenario;
        else if (m.type === 'result') {
          const r = m.result as PropertyResult;
          const rep = report(m.subject as string, m.kind as PolicyKind);
          rep.results.push(r);
          rep.ms += r.ms ?? 0;
        } else if (m.type === 'load-error') {
          clearInterval(timer);
          reject(new PolicyFileError(m.message as string));
        } else if (m.type === 'done') {
          clearInterval(timer);
          resolve('done');
        }
      });
      worker.on('error', (e) => {
        clearInterval(timer);
        reject(e);
      });
      worker.on('exit', () => {
        clearInterval(timer);
        resolve(hung ? 'hang' : 'done');
      });
    });
    await worker.terminate();
    if (outcome === 'done') break;
  }
  // Report order: the order the properties are listed in (a hung one in its place).
  const rank = new Map(PROPERTIES.map((p, i) => [p.name, i]));
  // Routing and warm-pool properties are not in that list: they keep the order they ran in.
  const at = (p: string) => rank.get(p) ?? PROPERTIES.length;
  return [...reports.values()].map((r) => ({ ...r, results: [...r.results].sort((a, b) => at(a.property) - at(b.property)) }));
}
