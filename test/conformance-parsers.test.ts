import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRuns } from '../src/conformance/kit.ts';
import { scenarioParserProperty, traceParserProperty } from '../src/conformance/parsers.ts';
import { parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { TraceRowError } from '../src/trace/csv-rows.ts';
import { loadGpulabJobs, loadGpulabNodes } from '../src/trace/gpulab-csv.ts';

const numRuns = defaultRuns();

describe('parsers never crash on malformed input', () => {
  it('scenario files: only ScenarioError, naming file and field or line', () => {
    fc.assert(scenarioParserProperty, { numRuns: numRuns * 8 });
  });

  it('trace rows: only TraceRowError naming file, line and column; accepted rows are usable', async () => {
    await fc.assert(traceParserProperty, { numRuns: numRuns * 4 });
  });
});

// Counterexamples the fuzzers found, pinned.
describe('fuzzer findings stay fixed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpulab-fuzz-pinned-'));
  const csv = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('a YAML alias to an anchor never set is a ScenarioError naming its line and column', () => {
    expect(() => parseScenario('name: x\nseeds: *s\n', 'a.yaml')).toThrow(ScenarioError);
    // `*s` starts at line 2, column 8
    expect(() => parseScenario('name: x\nseeds: *s\n', 'a.yaml')).toThrow(/a\.yaml: invalid scenario\n {2}- line 2, column 8: Unresolved alias/);
  });

  it('an integer beyond 2^53 is rejected, not rounded', async () => {
    const f = csv('big.csv', 'id,tenant,submit_s,duration_s,cpu_milli,memory_mib,num_gpu,gpu_milli\na,t,0,1,9007199254740993,0,0,\n');
    await expect(loadGpulabJobs(f, { onBadRow: 'stop' })).rejects.toThrow(/big\.csv:2: column 'cpu_milli': integer out of range/);
  });

  it('a time whose milliseconds are not a safe integer is rejected', async () => {
    const f = csv('late.csv', 'id,tenant,submit_s,duration_s,cpu_milli,memory_mib,num_gpu,gpu_milli\na,t,1e300,1,0,0,0,\n');
    await expect(loadGpulabJobs(f, { onBadRow: 'stop' })).rejects.toThrow(/late\.csv:2: column 'submit_s': must be ≤/);
  });

  it.each([
    ['an empty node id', 'n0,1000,1024,0,\n,1000,1024,0,\n', /:3: column 'id': empty node id/],
    ['a duplicate node id', 'n0,1000,1024,0,\nn0,1000,1024,0,\n', /:3: column 'id': duplicate node id 'n0'/],
  ])('gpulab nodes: %s is a TraceRowError', async (_, rows, msg) => {
    const f = csv('nodes.csv', `id,cpu_milli,memory_mib,num_gpu,gpu_model\n${rows}`);
    const err = await loadGpulabNodes(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect((err as Error).message).toMatch(msg);
  });
});
