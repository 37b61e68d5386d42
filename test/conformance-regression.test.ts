import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { checkIsolated } from '../src/conformance/isolate.ts';
import { groupFailures } from '../src/conformance/kit.ts';
import { checkAny } from '../src/conformance/subjects.ts';
import { subjectsOfFile } from '../src/conformance/load.ts';

/**
 * The kit's own regression suite: buggy policies written as a user would (test/fixtures/buggy,
 * one realistic bug each) must fail with the root cause the kit claims to catch, and correct but
 * unusual ones (test/fixtures/unusual) must pass every property. Here each buggy policy is run on
 * the property that catches it (fixed default seed, so the result is reproducible); the full
 * detection table (every property on every fixture) is `npm run conformance -- test/fixtures/buggy/*.ts`.
 */
const root = resolve(import.meta.dirname, '..');
const RUNS = 30;

// fixture → [cause the kit reports, property that finds it first]
const DETECTION: readonly (readonly [string, string, string])[] = [
  ['sorts-in-place', 'the policy wrote to the view it was given', 'pure-queue'],
  ['truncates-32', 'a queued job that fits was left waiting (not work-conserving)', 'work-conserving'],
  ['throws-long-queue', 'the policy threw an exception', 'terminal-once'],
  ['retries-head', 'the order lists a job twice', 'terminal-once'],
  ['includes-running', 'the order returns a job that is not queued', 'terminal-once'],
  ['fair-by-name', 'GPU shares do not follow the tenant weights', 'fair-share'],
  ['fair-ignores-weights', 'GPU shares do not follow the tenant weights', 'fair-share'],
  ['fair-by-job-count', 'GPU shares do not follow the tenant weights', 'fair-share'],
  ['fair-by-backlog', 'GPU shares do not follow the tenant weights', 'fair-share'],
  ['module-cache', 'state kept across calls (a cache or counter outlives one call)', 'no-hidden-state'],
  ['rotating-counter', 'two calls on the same view disagree (not a pure function)', 'pure-queue'],
  ['mutate-and-undo', 'the policy wrote to the view it was given', 'pure-queue'],
  ['tags-jobs', 'the policy wrote to the view it was given', 'pure-queue'],
  ['priority-ascending', 'a lower-priority job started while a higher-priority one fitted', 'priority-order'],
  ['priority-clamped', 'a lower-priority job started while a higher-priority one fitted', 'priority-order'],
  ['preempts-equal', 'preempted a job without a higher-priority job to make room for', 'preempts-only-lower'],
  ['victim-twice', 'a victim named twice in one call', 'terminal-once'],
  ['victims-from-queue', 'a victim that is not running', 'terminal-once'],
  ['unseeded-random', 'the same case gives different event logs (non-deterministic)', 'deterministic'],
  ['returns-set', 'the policy returned a malformed answer', 'terminal-once'],
  ['node-zero', 'a placement the cluster refuses (over-commit or invalid grant)', 'no-overcommit'],
  ['ignores-models', 'a placement the cluster refuses (over-commit or invalid grant)', 'placement-valid'],
  ['ignores-down', 'a job placed on a down node', 'placement-skips-down-nodes'],
  ['first-four-nodes', "the policy answered 'unfit' while a node fits", 'placement-valid'],
  ['spreads-gangs', 'a gang spread over nodes while spanning is off', 'no-overcommit'],
  ['caches-score-on-node', 'the policy wrote to the view it was given', 'pure-placement'],
  ['sticky-placement', 'state kept across calls (a cache or counter outlives one call)', 'no-hidden-state'],
  ['reserves-on-view', 'the policy wrote to the view it was given', 'pure-placement'],
  ['ignores-cpu', 'a placement the cluster refuses (over-commit or invalid grant)', 'placement-valid'],
  ['rounds-up-fractions', 'a placement the cluster refuses (over-commit or invalid grant)', 'placement-valid'],
  ['throws-cpu-only-node', 'the policy threw an exception', 'terminal-once'],
  ['lazy-reads-live-usage', 'lazyOrder yields another order than order', 'lazy-order'],
  ['aged-key-in-index', 'lazyOrder yields another order than order', 'lazy-order'],
];
// Checked through a worker thread only: in-process it would hang the test runner (or, for the
// O(n³) one, hold it for seconds on a deep queue before its budget overrun can be reported).
const HANGS = ['hangs-on-ties'];
const UNUSUAL = ['lifo', 'hashed-order', 'aging-priority', 'attained-fair', 'last-node-cpu-spread', 'seeded-random'];

const fixture = (dir: string, name: string) => join(root, 'test/fixtures', dir, `${name}.ts`);

describe('regression suite: the kit catches every buggy policy', () => {
  it('has at least 30 buggy and 6 unusual policies', () => {
    expect(DETECTION.length + HANGS.length + 1).toBeGreaterThanOrEqual(30); // + slow-cubic
    expect(UNUSUAL.length).toBeGreaterThanOrEqual(6);
  });

  it.each(DETECTION)('%s: %s', async (name, cause, property) => {
    const [s] = await subjectsOfFile(fixture('buggy', name));
    // A loose budget: some are O(queue²), and the shared machine may be busy (slow-cubic is below).
    // Fair-share cases are large (about 2,000 queued jobs) and every one separates the policies: 5 suffice.
    const numRuns = property === 'fair-share' ? 5 : RUNS;
    const results = checkAny(s, { numRuns, only: [property], callBudgetMs: 10_000 });
    const causes = groupFailures(results).map((g) => g.cause);
    expect(causes, results[0].error).toContain(cause);
  });
});

describe('regression suite: correct but unusual policies pass every property', () => {
  it.each(UNUSUAL)('%s', async (name) => {
    const [s] = await subjectsOfFile(fixture('unusual', name));
    const results = checkAny(s, { numRuns: 8 });
    const failed = results.filter((r) => r.status === 'fail');
    expect(failed.map((r) => `${r.property}: ${r.error}\n${r.counterexample}`)).toEqual([]);
  }, 60_000);
});

describe('hangs and module modes: policies loaded in a worker thread', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A folder outside the checkout (no package.json: .ts files load as CommonJS, sloppy mode). */
  function userProject(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-conformance-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'gpulab'), 'dir');
    return dir;
  }

  /** Copies a fixture as a user would have it: importing the installed package. */
  function copyOut(dir: string, from: string, name: string): string {
    const text = readFileSync(fixture(from, name), 'utf8').replace(/'\.\.\/\.\.\/\.\.\/src\/[^']+'/g, "'gpulab'");
    const f = join(dir, `${name}.ts`);
    writeFileSync(f, text);
    return f;
  }

  it('a policy that never returns is reported with the call, the property and the case, and its other properties are skipped', async () => {
    const reps = await checkIsolated(fixture('buggy', HANGS[0]), { numRuns: 10, hangMs: 1000, only: ['no-overcommit', 'time-monotone'] });
    expect(reps).toHaveLength(1);
    const [hung, ...rest] = reps[0].results;
    expect(hung).toMatchObject({ property: 'no-overcommit', status: 'fail', cause: 'a policy call never returned (hang)' });
    expect(hung.error).toMatch(/queue policy 'merge-two' in order\(\) at t=\d+\.\d{3} s with \d+ queued, \d+ running, \d+ nodes did not return within 1\.0 s/);
    expect(hung.error).toMatch(/case: \w+ with \d+ jobs on \d+ nodes/);
    expect(hung.counterexample).toMatch(/^scenario seed=/);
    // the policy's other properties are not run (each would hang too)
    expect(rest).toEqual([]);
  }, 60_000);

  it('a routing policy that never returns is stopped and reported with the call (routing and warm-pool calls are watched too)', async () => {
    const reps = await checkIsolated(join(root, 'test/fixtures/hanging-routing.ts'), { numRuns: 50, hangMs: 1000 });
    expect(reps).toHaveLength(1);
    expect(reps[0].kind).toBe('routing');
    const [hung, ...rest] = reps[0].results;
    expect(hung).toMatchObject({ property: 'routes-to-candidate', status: 'fail', cause: 'a policy call never returned (hang)' });
    expect(hung.error).toMatch(/routing policy 'hangs' in route\(job j\) at t=0\.000 s with \d+ shards did not return within 1\.0 s/);
    expect(rest).toEqual([]);
  }, 60_000);

  it('a pathologically slow policy (O(n³) per pass) is reported as over budget or hung, with the call and its size', async () => {
    // A 20 ms budget: a realistic case's first burst (100–400 queued) makes each call 1M–64M steps.
    const reps = await checkIsolated(fixture('buggy', 'slow-cubic'), { numRuns: RUNS, hangMs: 2000, callBudgetMs: 20, only: ['terminal-once'] });
    const [r] = reps[0].results;
    expect(['a policy call ran past its time budget', 'a policy call never returned (hang)']).toContain(r.cause);
    expect(r.error).toMatch(/queue policy 'slow-cubic' (took \d+ ms )?in order\(\) at t=\S+ s with \d+ queued/);
  }, 60_000);

  it('policy files outside the checkout run as sloppy-mode CommonJS', () => {
    const dir = userProject();
    writeFileSync(join(dir, 'probe.ts'), 'const sloppy = (function () { return this !== undefined; })();\nconsole.log(sloppy ? "sloppy" : "strict");\n');
    const r = spawnSync(join(root, 'node_modules/.bin/tsx'), [join(dir, 'probe.ts')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout.trim()).toBe('sloppy');
  });

  // Writes to a frozen object are silently ignored in sloppy mode; the kit's read-only views throw.
  it.each([
    ['mutate-and-undo', 'pure-queue', 'the policy wrote to the view it was given'],
    ['tags-jobs', 'pure-queue', 'the policy wrote to the view it was given'],
    ['caches-score-on-node', 'pure-placement', 'the policy wrote to the view it was given'],
    ['module-cache', 'no-hidden-state', 'state kept across calls (a cache or counter outlives one call)'],
    ['retries-head', 'terminal-once', 'the order lists a job twice'],
  ])('as CommonJS outside the checkout, %s still fails %s', async (name, property, cause) => {
    const dir = userProject();
    const reps = await checkIsolated(copyOut(dir, 'buggy', name), { numRuns: RUNS, only: [property] });
    expect(groupFailures(reps[0].results).map((g) => g.cause)).toContain(cause);
  }, 60_000);

  it('as CommonJS outside the checkout, an unusual correct policy passes', async () => {
    const dir = userProject();
    const reps = await checkIsolated(copyOut(dir, 'unusual', 'last-node-cpu-spread'), { numRuns: 8 });
    expect(reps[0].results.filter((r) => r.status === 'fail').map((r) => r.error)).toEqual([]);
  }, 60_000);
});
