import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { checkSubject, defaultRuns, registeredSubjects } from '../src/conformance/kit.ts';
import { PROPERTIES } from '../src/conformance/properties.ts';

// Every registered policy — the shipped ones and any registered later in policies/index.ts — with
// its PARAM_VARIANTS, against every property that applies to it; one test per policy × property,
// so a failure names both and prints the shrunk counterexample. 20 cases per property by default
// here (the CLI's default is 50); GPULAB_CONFORMANCE_RUNS=500 npm test for a longer run.
const numRuns = defaultRuns(20);
const subjects = registeredSubjects().map((s) => ({ ...s, name: s.label }));

describe.each(subjects)('$kind policy $name', ({ subject }) => {
  const applicable = PROPERTIES.filter((p) => p.applies(subject)).map((p) => p.name);
  it.each(applicable)('%s', (name) => {
    const [r] = checkSubject(subject, { numRuns, only: [name] });
    expect(r.status, `${r.error}\nshrunk counterexample:\n${r.counterexample}`).toBe('pass');
  });
});

describe('the registry sweep', () => {
  it('covers the shipped foundation policies and their parameter variants', () => {
    expect(subjects.map((s) => s.name)).toEqual(expect.arrayContaining(['fifo', 'first-fit', 'best-fit', 'priority {"preempt":true}']));
  });
});
