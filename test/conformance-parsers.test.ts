import fc from 'fast-check';
import { describe, it } from 'vitest';
import { defaultRuns } from '../src/conformance/kit.ts';
import { scenarioParserProperty, traceParserProperty } from '../src/conformance/parsers.ts';

const numRuns = defaultRuns();

describe('parsers never crash on malformed input', () => {
  it('scenario files: only ScenarioError, naming file and field or line', () => {
    fc.assert(scenarioParserProperty, { numRuns: numRuns * 8 });
  });

  it('trace rows: only TraceRowError, naming file, line and column', async () => {
    await fc.assert(traceParserProperty, { numRuns: numRuns * 2 });
  });
});
