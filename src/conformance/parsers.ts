import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseScenario, ScenarioError } from '../scenario/load.ts';
import { TraceRowError } from '../trace/csv-rows.ts';
import { loadGpulabJobs } from '../trace/gpulab-csv.ts';
import { Violation } from './properties.ts';

/**
 * Parser robustness: arbitrary malformed scenario files and trace rows never crash the process
 * with anything but the documented error types, and each error names the file and the line or
 * field.
 */

const VALID = {
  name: 'p',
  cluster: { nodes: [{ prefix: 'n', count: 1, cpu: 1000, memory: 1024, gpus: [{ count: 1, model: 'A100' }] }] },
  workload: {
    kind: 'synthetic',
    jobs: 3,
    meanInterarrivalSec: 1,
    duration: { dist: 'constant', sec: 1 },
    tenants: [{ name: 'a' }],
    demands: [{ gpus: 1, cpu: 1, memory: 1 }],
  },
  policies: [{ queue: 'fifo', placement: 'first-fit' }],
};

const PATHS: (string | number)[][] = [
  ['name'],
  ['seeds'],
  ['cluster'],
  ['cluster', 'nodes', 0, 'count'],
  ['cluster', 'nodes', 0, 'gpus', 0, 'capacity'],
  ['workload', 'kind'],
  ['workload', 'jobs'],
  ['workload', 'duration', 'dist'],
  ['workload', 'demands', 0, 'milli'],
  ['workload', 'tenants'],
  ['policies', 0, 'queue'],
  ['scheduler'],
  ['untilSec'],
  ['extra'],
];

function setPath(obj: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(obj) as Record<string | number, unknown>;
  let cur = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (next === null || typeof next !== 'object') return copy;
    cur = next as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]] = value;
  return copy;
}

const mutatedScenario = fc.oneof(
  fc.record({ path: fc.constantFrom(...PATHS), value: fc.jsonValue({ maxDepth: 2 }), asJson: fc.boolean() }).map(({ path, value, asJson }) => {
    const data = setPath(VALID, path, value);
    return asJson ? { text: JSON.stringify(data), file: 'fuzz.json' } : { text: stringify(data), file: 'fuzz.yaml' };
  }),
  fc.string({ maxLength: 200 }).map((text) => ({ text, file: 'fuzz.yaml' })),
  fc.string({ maxLength: 200 }).map((text) => ({ text, file: 'fuzz.json' })),
);

export const scenarioParserProperty = fc.property(mutatedScenario, ({ text, file }) => {
  try {
    parseScenario(text, file);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw new Violation(`parseScenario threw ${(e as Error).name}: ${(e as Error).message}`);
    if (!e.message.startsWith(`${file}: invalid scenario`)) throw new Violation(`error does not name the file: ${e.message}`);
    for (const p of e.problems) {
      if (!/^([\w.]+|\(root\)|line \d+, column \d+|not valid JSON|cannot read)/.test(p)) {
        throw new Violation(`problem names no field or line: ${p}`);
      }
    }
  }
});

const HEADER = 'id,tenant,submit_s,duration_s,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_models,priority';
const cell = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '1000', '1001', '2.5', 'NaN', 'x', 'A100|T4', '"', '""', ',', '1e309'),
  fc.string({ maxLength: 6 }),
);
const row = fc.array(cell, { minLength: 0, maxLength: 12 }).map((cells) => cells.join(','));

let dir: string | undefined;

export const traceParserProperty = fc.asyncProperty(
  fc.array(row, { minLength: 1, maxLength: 8 }),
  fc.constantFrom<'stop' | 'skip'>('stop', 'skip'),
  async (rows, onBadRow) => {
    dir ??= mkdtempSync(join(tmpdir(), 'gpulab-fuzz-'));
    const file = join(dir, 'rows.csv');
    writeFileSync(file, [HEADER, ...rows].join('\n'));
    try {
      const { report } = await loadGpulabJobs(file, { onBadRow });
      for (const e of report.errors) {
        if (!e.message.startsWith(`${file}:${e.line}: column '`)) throw new Violation(`skipped-row error lacks file:line: column: ${e.message}`);
      }
    } catch (e) {
      if (e instanceof Violation) throw e;
      if (!(e instanceof TraceRowError)) throw new Violation(`loader threw ${(e as Error).name}: ${(e as Error).message}`);
      if (!e.message.startsWith(`${file}:`) || !/:\d+: column '/.test(e.message)) {
        throw new Violation(`error does not name file, line and column: ${e.message}`);
      }
    }
  },
);
