import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseScenario, ScenarioError } from '../scenario/load.ts';
import { TraceError, TraceFileError, TraceRowError } from '../trace/csv-rows.ts';
import { loadGpulabJobs, loadGpulabNodes } from '../trace/gpulab-csv.ts';
import { loadOpenbNodes, loadOpenbPods, type OpenbPod } from '../trace/openb.ts';
import { Cluster } from '../cluster/cluster.ts';
import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import { Violation } from './subject.ts';

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

/** A CSV loader under test: its columns and what it returns for accepted rows. */
export interface CsvLoaderCase {
  readonly name: string;
  /**
   * Header columns, each with values that are usually valid in it; the fuzzer mixes in
   * troublemakers, and drops and rotates columns.
   */
  readonly columns: Readonly<Record<string, fc.Arbitrary<string>>>;
  /** Loads `file`; returns the accepted items. Errors must be `TraceError`s (a row's, or the file's: no usable row). */
  load(file: string, onBadRow: 'stop' | 'skip'): Promise<{ items: readonly unknown[]; errors: readonly TraceRowError[] }>;
  /** What is wrong with an accepted item (undefined when it is usable downstream). */
  invalid(item: unknown): string | undefined;
}

const safeInt = (x: number, min: number) => Number.isSafeInteger(x) && x >= min;

/** A job the simulator accepts: integer ms times, integer resources, a coherent GPU demand. */
export function invalidJob(j: JobSpec): string | undefined {
  if (!safeInt(j.submit, 0)) return `submit ${j.submit} is not a safe integer ≥ 0 ms`;
  if (!safeInt(j.duration, 1)) return `duration ${j.duration} is not a safe integer ≥ 1 ms`;
  if (j.estimate !== undefined && !safeInt(j.estimate, 1)) return `estimate ${j.estimate} is not a safe integer ≥ 1 ms`;
  if (!safeInt(j.cpu, 0) || !safeInt(j.memory, 0)) return `cpu ${j.cpu} / memory ${j.memory} not integers ≥ 0`;
  if (!safeInt(j.gpus, 0)) return `gpus ${j.gpus} not an integer ≥ 0`;
  if (j.gpus === 0 ? j.milli !== 0 : !(safeInt(j.milli, 1) && j.milli <= 1000)) return `milli ${j.milli} with ${j.gpus} GPUs`;
  if (!Number.isFinite(j.priority)) return `priority ${j.priority}`;
  return undefined;
}

/** A node list the cluster model accepts (unique ids, positive integer capacities). */
export function invalidNodes(nodes: readonly NodeSpec[]): string | undefined {
  try {
    new Cluster(nodes);
  } catch (e) {
    return `Cluster rejects the nodes: ${(e as Error).message}`;
  }
  for (const n of nodes) {
    if (n.id === '') return 'a node with an empty id';
    if (!safeInt(n.cpu, 1) || !safeInt(n.memory, 1)) return `node ${n.id}: cpu ${n.cpu} / memory ${n.memory}`;
  }
  return undefined;
}

const ID = fc.constantFrom('a', 'b', 'c', 'd');
const INT = fc.constantFrom('0', '1', '1000', '16384');
const SECONDS = fc.constantFrom('0', '1', '2.5', '0.0001', '3600');
const MODELS = fc.constantFrom('', 'A100', 'A100|T4', 'H100||H100');

const LOADERS: CsvLoaderCase[] = [
  {
    name: 'gpulab jobs',
    columns: {
      id: ID,
      tenant: fc.constantFrom('a', 'b', ''),
      submit_s: SECONDS,
      duration_s: SECONDS,
      cpu_milli: INT,
      memory_mib: INT,
      num_gpu: fc.constantFrom('0', '1', '2', '8'),
      gpu_milli: fc.constantFrom('1000', '500', '1', ''),
      gpu_models: MODELS,
      priority: fc.constantFrom('0', '3', '-1', ''),
      estimate_s: fc.constantFrom('', '1', '0.0004', '60'),
    },
    load: async (file, onBadRow) => {
      const { jobs, report } = await loadGpulabJobs(file, { onBadRow });
      return { items: jobs, errors: report.errors };
    },
    invalid: (j) => invalidJob(j as JobSpec),
  },
  {
    name: 'gpulab nodes',
    columns: {
      id: ID,
      cpu_milli: fc.constantFrom('1', '4000', '64000'),
      memory_mib: fc.constantFrom('1', '8192'),
      num_gpu: fc.constantFrom('0', '1', '8'),
      gpu_model: fc.constantFrom('A100', 'T4', ''),
      gpu_milli: fc.constantFrom('', '1000', '500'),
    },
    // loadGpulabNodes always stops at the first bad row; the whole list must build a Cluster.
    load: async (file) => ({ items: [await loadGpulabNodes(file)], errors: [] }),
    invalid: (nodes) => invalidNodes(nodes as NodeSpec[]),
  },
  {
    name: 'openb nodes',
    columns: {
      sn: ID,
      cpu_milli: fc.constantFrom('1', '96000'),
      memory_mib: fc.constantFrom('1', '786432'),
      gpu: fc.constantFrom('0', '1', '8'),
      model: fc.constantFrom('V100M16', 'T4', ''),
    },
    load: async (file, onBadRow) => {
      const { nodes, report } = await loadOpenbNodes(file, { onBadRow });
      return { items: [nodes], errors: report.errors };
    },
    invalid: (nodes) => invalidNodes(nodes as NodeSpec[]),
  },
  {
    name: 'openb pods',
    columns: {
      name: ID,
      cpu_milli: INT,
      memory_mib: INT,
      num_gpu: fc.constantFrom('0', '1', '2', '8'),
      gpu_milli: fc.constantFrom('1000', '500', '0', ''),
      gpu_spec: MODELS,
      qos: fc.constantFrom('LS', 'BE', ''),
      pod_phase: fc.constantFrom('Running', ''),
      creation_time: fc.constantFrom('0', '10', ''),
      deletion_time: fc.constantFrom('5', '20', ''),
      scheduled_time: fc.constantFrom('0', ''),
    },
    load: async (file, onBadRow) => {
      const { pods, report } = await loadOpenbPods(file, { onBadRow });
      return { items: pods, errors: report.errors };
    },
    invalid: (p) => {
      const pod = p as OpenbPod;
      if (!safeInt(pod.cpu, 0) || !safeInt(pod.memory, 0) || !safeInt(pod.gpus, 0)) return `cpu ${pod.cpu} / memory ${pod.memory} / gpus ${pod.gpus}`;
      if (pod.gpus === 0 ? pod.milli !== 0 : !(safeInt(pod.milli, 1) && pod.milli <= 1000)) return `milli ${pod.milli} with ${pod.gpus} GPUs`;
      if (pod.creation !== undefined && pod.deletion !== undefined && pod.deletion < pod.creation) return 'deleted before created';
      return undefined;
    },
  },
];

/** The loaders the fuzzer covers (printed by name in counterexamples). */
export const CSV_LOADERS: readonly CsvLoaderCase[] = LOADERS.map((l) =>
  Object.defineProperty(l, fc.toStringMethod, { value: () => `loader '${l.name}'` }),
);

/** Troublemakers for any column. */
const bad = fc.oneof(
  fc.constantFrom('', '-1', '1e300', '1e309', '9007199254740993', ' 7 ', 'NaN', 'x', '2.5', '"', '""', '"a""b"', ','),
  fc.string({ maxLength: 6 }),
);

let dir: string | undefined;

/** Rows for `columns`: each cell usually valid for its column, sometimes a troublemaker; sometimes ragged. */
function rowsFor(columns: readonly fc.Arbitrary<string>[]): fc.Arbitrary<string[]> {
  const cells = columns.map((valid) => fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: bad }));
  const row = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(...cells).map((c) => c.join(',')) },
    { weight: 1, arbitrary: fc.array(bad, { maxLength: columns.length + 2 }).map((c) => c.join(',')) },
  );
  return fc.array(row, { minLength: 1, maxLength: 8 });
}

/** A loader, a header (some columns dropped, maybe rotated) and rows for it. */
const csvCase = fc
  .record({
    loader: fc.constantFrom(...CSV_LOADERS),
    dropped: fc.shuffledSubarray([...Array(16).keys()], { minLength: 0, maxLength: 2 }),
    rotate: fc.boolean(),
  })
  .chain(({ loader, dropped, rotate }) => {
    let header = Object.keys(loader.columns).filter((_, i) => !dropped.includes(i));
    if (rotate) header = [...header.slice(1), header[0]];
    return rowsFor(header.map((c) => loader.columns[c])).map((rows) => ({ loader, header, rows }));
  });

/**
 * Arbitrary rows under a valid (possibly incomplete, possibly rotated) header, for each loader:
 * the loader returns usable items or fails with a TraceRowError naming file, line and column (or a
 * TraceFileError naming the file, when no data row is left) — never another error, and never an
 * accepted row the simulator would choke on.
 */
export const traceParserProperty = fc.asyncProperty(csvCase, fc.constantFrom<'stop' | 'skip'>('stop', 'skip'), async ({ loader, header, rows }, onBadRow) => {
  dir ??= mkdtempSync(join(tmpdir(), 'gpulab-fuzz-'));
  const file = join(dir, 'rows.csv');
  writeFileSync(file, [header.join(','), ...rows].join('\n'));
  try {
    const { items, errors } = await loader.load(file, onBadRow);
    for (const e of errors) {
      if (!e.message.startsWith(`${file}:${e.line}: column '`)) throw new Violation(`skipped-row error lacks file:line: column: ${e.message}`);
    }
    for (const it of items) {
      const why = loader.invalid(it);
      if (why !== undefined) throw new Violation(`${loader.name}: accepted a row that is not usable: ${why}`);
    }
  } catch (e) {
    if (e instanceof Violation) throw e;
    if (!(e instanceof TraceError)) throw new Violation(`${loader.name}: loader threw ${(e as Error).name}: ${(e as Error).message}`);
    if (e instanceof TraceFileError ? e.message !== `${file}: ${e.problem}` : !e.message.startsWith(`${file}:`) || !/:\d+: column '/.test(e.message)) {
      throw new Violation(`${loader.name}: error does not name file, line and column: ${e.message}`);
    }
  }
});
