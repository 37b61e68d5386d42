import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { checkSubject, defaultRuns, PARAM_VARIANTS, subjectFor } from '../src/conformance/kit.ts';
import { PROPERTIES } from '../src/conformance/properties.ts';
import {
  placementPolicyFactory,
  placementPolicyNames,
  queuePolicyFactory,
  queuePolicyNames,
} from '../src/scheduler/registry.ts';

// Every registered policy — the shipped ones and any registered later in policies/index.ts —
// against every property that applies to it; one test per policy × property, so a failure names
// both and prints the shrunk counterexample. GPULAB_CONFORMANCE_RUNS=500 npm test for a longer run.
const numRuns = defaultRuns();
// Defaults for every policy, plus the option sets in PARAM_VARIANTS (preemption, LAS thresholds).
const subjects = [
  ...queuePolicyNames().flatMap((n) =>
    [{}, ...(PARAM_VARIANTS[n] ?? [])].map((p) => ({ kind: 'queue', name: label(n, p), subject: subjectFor(queuePolicyFactory(n)(p)) })),
  ),
  ...placementPolicyNames().flatMap((n) =>
    [{}, ...(PARAM_VARIANTS[n] ?? [])].map((p) => ({ kind: 'placement', name: label(n, p), subject: subjectFor(placementPolicyFactory(n)(p)) })),
  ),
];

function label(name: string, params: object): string {
  return Object.keys(params).length === 0 ? name : `${name} ${JSON.stringify(params)}`;
}

describe.each(subjects)('$kind policy $name', ({ subject }) => {
  const applicable = PROPERTIES.filter((p) => p.applies(subject)).map((p) => p.name);
  it.each(applicable)('%s', (name) => {
    const [r] = checkSubject(subject, { numRuns, only: [name] });
    expect(r.status, `${r.error}\nshrunk counterexample:\n${r.counterexample}`).toBe('pass');
  });
});

describe('the registry sweep', () => {
  it('covers the shipped foundation policies', () => {
    expect(subjects.map((s) => s.name)).toEqual(expect.arrayContaining(['fifo', 'first-fit', 'best-fit']));
  });
});
