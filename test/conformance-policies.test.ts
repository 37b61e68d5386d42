import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { checkSubject, defaultRuns, subjectFor } from '../src/conformance/kit.ts';
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
const subjects = [
  ...queuePolicyNames().map((n) => ({ kind: 'queue', name: n, subject: subjectFor(queuePolicyFactory(n)({})) })),
  ...placementPolicyNames().map((n) => ({ kind: 'placement', name: n, subject: subjectFor(placementPolicyFactory(n)({})) })),
];

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
