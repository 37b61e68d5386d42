import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { checkSubject, defaultRuns, subjectFor } from '../src/conformance/kit.ts';
import { scenarioParserProperty, traceParserProperty } from '../src/conformance/parsers.ts';
import { PROPERTIES } from '../src/conformance/properties.ts';
import {
  placementPolicyFactory,
  placementPolicyNames,
  queuePolicyFactory,
  queuePolicyNames,
} from '../src/scheduler/registry.ts';
import { alwaysNodeZero } from './fixtures/broken-policy.ts';

const run = promisify(execFile);
const numRuns = defaultRuns(); // GPULAB_CONFORMANCE_RUNS=500 npm test for a longer run

// Every registered policy — shipped ones and any registered later — against every property that
// applies to it. One test per policy × property, so a failure names both.
const subjects = [
  ...queuePolicyNames().map((n) => ({ kind: 'queue', name: n, subject: subjectFor(queuePolicyFactory(n)({})) })),
  ...placementPolicyNames().map((n) => ({ kind: 'placement', name: n, subject: subjectFor(placementPolicyFactory(n)({})) })),
];

describe.each(subjects)('$kind policy $name', ({ subject }) => {
  const applicable = PROPERTIES.filter((p) => p.applies(subject));
  it.each(applicable.map((p) => p.name))('%s', (name) => {
    const [r] = checkSubject(subject, { numRuns, only: [name] });
    expect(r.status, `${r.error}\ncounterexample: ${r.counterexample}`).toBe('pass');
  });
});

describe('the kit itself', () => {
  it('covers the shipped policies', () => {
    expect(subjects.map((s) => s.name)).toEqual(expect.arrayContaining(['fifo', 'first-fit', 'best-fit']));
  });

  it('catches a broken policy and shrinks to a small counterexample', () => {
    const results = checkSubject(subjectFor(alwaysNodeZero), { numRuns: 50, seed: 1, only: ['no-overcommit', 'placement-valid'] });
    for (const r of results) {
      expect(r.status).toBe('fail');
      expect(r.error).toMatch(/AllocationError/);
    }
    const cex = JSON.parse(results[1].counterexample!) as [unknown[], unknown[], number];
    // placement-valid shrinks to one node and one job
    expect(cex[0].length).toBe(1);
    expect(cex[1].length).toBe(1);
  });

  it('work conservation is checked only for policies that claim it', () => {
    const noClaim = { name: 'reverse', order: (v: { queue: readonly unknown[] }) => [...v.queue].reverse() } as never;
    expect(PROPERTIES.find((p) => p.name === 'work-conserving')!.applies(subjectFor(noClaim))).toBe(false);
    expect(PROPERTIES.find((p) => p.name === 'work-conserving')!.applies(subjectFor(queuePolicyFactory('fifo')({})))).toBe(true);
  });
});

describe('parsers never crash on malformed input', () => {
  it('scenario files: only ScenarioError, naming file and field or line', () => {
    fc.assert(scenarioParserProperty, { numRuns: numRuns * 8 });
  });

  it('trace rows: only TraceRowError, naming file, line and column', async () => {
    await fc.assert(traceParserProperty, { numRuns: numRuns * 2 });
  });
});

describe('npm run conformance', () => {
  it('passes the example user policy', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/conformance.ts', 'examples/my-policy.ts', '--runs', '10']);
    expect(stdout).toMatch(/placement policy 'spread'/);
    expect(stdout).toMatch(/no-overcommit\s+PASS/);
    expect(stdout).toMatch(/all properties hold/);
  }, 30_000);

  it('fails a broken policy with a shrunk counterexample and exit code 1', async () => {
    const err = await run('npx', ['tsx', 'src/cli/conformance.ts', 'test/fixtures/broken-policy.ts', '--runs', '10']).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/no-overcommit\s+FAIL/);
    expect(err.stdout).toMatch(/shrunk counterexample: /);
  }, 30_000);
});
