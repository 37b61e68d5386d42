import fc from 'fast-check';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutDir, intFlag, outDirProblem, parseCli, seedFlag } from '../src/cli/args.ts';
import { describeFailure, UsageError } from '../src/cli/main.ts';
import { invalidJob } from '../src/conformance/parsers.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { MAX_TIME_SEC, maxJobsInMemory, memoryProblems } from '../src/limits.ts';
import { readCsvRows, TraceError, TraceFileError, TraceRowError } from '../src/trace/csv-rows.ts';
import { dlrmJobs, loadDlrmInstances } from '../src/trace/dlrm-v2025.ts';
import { loadGavelThroughputs, loadGavelTrace } from '../src/trace/gavel.ts';
import { loadGpulabJobs, loadGpulabNodes } from '../src/trace/gpulab-csv.ts';
import { loadTraceJobs } from '../src/trace/load-trace.ts';
import { loadOpenbNodes, loadOpenbPods, openbPodsToJobs } from '../src/trace/openb.ts';
import { loadPaiJobTable, loadPaiMachineSpec, loadPaiTaskTable, paiJobs } from '../src/trace/pai-v2020.ts';
import { loadTiresiasCluster, loadTiresiasJobs } from '../src/trace/tiresias.ts';
import { mapLimited, removeTempDirs, ROOT, runCli, STACK_LINE, tempDir, type CliResult } from './helpers/hostile.ts';

/**
 * Bad input gives a clear error — never a crash, a hang or silent nonsense. Loaders and
 * validation are fuzzed in process (fast); every CLI runs a short table of nasty cases as a real
 * child process, bounded in time and heap.
 */

afterAll(removeTempDirs);

const JOBS_HEADER = 'id,tenant,submit_s,duration_s,cpu_milli,memory_mib,num_gpu,gpu_milli';
const NODES_CSV = 'id,cpu_milli,memory_mib,num_gpu,gpu_model\nn0,8000,65536,2,A100\n';
const BOM = '\uFEFF';

/** A valid scenario as data; cases change one thing. */
const VALID = {
  name: 'hostile',
  seeds: [1],
  cluster: { nodes: [{ prefix: 'n', count: 2, cpu: 8000, memory: 65536, gpus: [{ count: 2, model: 'A100' }] }] },
  workload: {
    kind: 'synthetic',
    jobs: 5,
    meanInterarrivalSec: 10,
    duration: { dist: 'lognormal', medianSec: 60, sigma: 1 },
    tenants: [{ name: 'a', weight: 1, share: 1 }],
    demands: [{ weight: 1, gpus: 1, milli: 500, cpu: 1000, memory: 1024 }],
  },
  policies: [{ queue: 'fifo', placement: 'first-fit' }],
  scheduler: { headOfLine: 'skip', tickSec: 60 },
  failures: { events: [{ node: 'n0', atSec: 100, downSec: 10 }] },
  untilSec: 1e6,
};

function withPath(obj: unknown, path: readonly (string | number)[], value: unknown | typeof DROP): unknown {
  const copy = structuredClone(obj) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === DROP) delete cur[last];
  else cur[last] = value;
  return copy;
}
const DROP = Symbol('drop');

/** Every path to a leaf (and to each object and array) of `obj`. */
function paths(obj: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (obj === null || typeof obj !== 'object') return [at];
  const kids = Array.isArray(obj) ? obj.map((v, i) => [i, v] as const) : Object.entries(obj);
  return [...(at.length > 0 ? [at] : []), ...kids.flatMap(([k, v]) => paths(v, [...at, k]))];
}

const NASTY_VALUES: readonly unknown[] = [
  DROP, null, '', ' ', '0x10', '1e308', 'NaN', 'Infinity', '１２', '١٢', 'ünïcødé ✓ 𝕏', '\u0000', '../../etc/passwd',
  0, -1, -0.5, 0.0001, 1e-320, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, Infinity, -Infinity, NaN,
  true, [], {}, [1, 2], { a: 1 }, [[[[[]]]]],
];

describe('scenario files: fuzzed structure, one field at a time', () => {
  const allPaths = paths(VALID);
  const mutated = fc
    .record({ path: fc.constantFrom(...allPaths), value: fc.constantFrom(...NASTY_VALUES), json: fc.boolean(), bom: fc.boolean() })
    .map(({ path, value, json, bom }) => {
      const data = withPath(VALID, path, value);
      const text = json ? JSON.stringify(data) : stringify(data);
      return { label: `${path.join('.')} = ${String(value === DROP ? '(dropped)' : JSON.stringify(value))}`, file: json ? 'f.json' : 'f.yaml', text: bom ? BOM + text : text };
    });

  it('parseScenario returns a scenario whose times fit the bound, or a ScenarioError naming the file and a field or line', () => {
    fc.assert(
      fc.property(mutated, ({ file, text }) => {
        let scn;
        try {
          scn = parseScenario(text, file);
        } catch (e) {
          expect(e).toBeInstanceOf(ScenarioError);
          const err = e as ScenarioError;
          expect(err.message.startsWith(`${file}: invalid scenario`)).toBe(true);
          for (const p of err.problems) expect(p).toMatch(/^([\w.]+|\(root\)|line \d+, column \d+|not valid JSON): /);
          return;
        }
        // Accepted: every time is finite and within the bound, so its ms are safe integers.
        for (const t of [scn.untilSec, scn.scheduler.tickSec, ...(scn.failures?.events.flatMap((e) => [e.atSec, e.downSec]) ?? [])]) {
          if (t !== undefined) expect(t >= 0 && t <= MAX_TIME_SEC).toBe(true);
        }
        for (const s of scn.seeds) expect(Number.isSafeInteger(s)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it.each<[string, unknown, RegExp]>([
    ['untilSec 1e308', withPath(VALID, ['untilSec'], 1e308), /untilSec: Too big/],
    ['meanInterarrivalSec 1e308', withPath(VALID, ['workload', 'meanInterarrivalSec'], 1e308), /workload\.meanInterarrivalSec: Too big/],
    ['a failure at 1e308 s', withPath(VALID, ['failures', 'events', 0, 'atSec'], 1e308), /failures\.events\.0\.atSec: Too big/],
    ['tickSec below a millisecond', withPath(VALID, ['scheduler', 'tickSec'], 1e-9), /scheduler\.tickSec: Too small/],
    ['a seed beyond 2^53', withPath(VALID, ['seeds'], [2 ** 53 + 1]), /seeds\.0: /],
    ['100,000,000 jobs', withPath(VALID, ['workload', 'jobs'], 1e8), /workload\.jobs: 100,000,000 jobs .* heap limit/],
    // expanding a billion nodes to check the failure's node id would itself run out of memory
    ['a billion nodes (with failures)', withPath(VALID, ['cluster', 'nodes', 0, 'count'], 1e9), /cluster\.nodes: 1,000,000,000 nodes .* heap limit/],
    ['lognormal sigma 50', withPath(VALID, ['workload', 'duration', 'sigma'], 50), /workload\.duration\.sigma: durations can reach/],
    ['pareto alpha 0.1 without maxSec', withPath(VALID, ['workload', 'duration'], { dist: 'pareto', minSec: 1, alpha: 0.1 }), /workload\.duration\.alpha: .*set maxSec/],
    ['arrivals past the bound', withPath(withPath(VALID, ['workload', 'jobs'], 1e6), ['workload', 'meanInterarrivalSec'], 1e6), /workload\.meanInterarrivalSec: 1,000,000 arrivals/],
    ['2000 GPUs on a node', withPath(VALID, ['cluster', 'nodes', 0, 'gpus', 0, 'count'], 2000), /cluster\.nodes\.0\.gpus: 2,000 GPUs on one node/],
    // prefixes n (n00 … n10) and n1 (n10): the same node id twice
    ['node groups whose ids collide', withPath(withPath(withPath(VALID, ['failures'], DROP), ['cluster', 'nodes', 0, 'count'], 11), ['cluster', 'nodes', 1], { prefix: 'n1', count: 1, cpu: 1, memory: 1 }), /cluster\.nodes\.1\.prefix: node id 'n10' is also an id of cluster\.nodes\.0/],
    // a Node timer over 2^31 − 1 ms fires after 1 ms: every job would time out at once
    ['a live timeout beyond what a timer holds', withPath(VALID, ['live'], { timeoutSec: 1e7 }), /live\.timeoutSec: Too big/],
    ['a seed given twice', withPath(VALID, ['seeds'], [1, 2, 1]), /seeds\.2: duplicate seed 1/],
    ['a tenant named twice', withPath(VALID, ['workload', 'tenants', 1], { name: 'a', weight: 3 }), /workload\.tenants\.1\.name: duplicate tenant 'a'/],
  ])('%s is an error naming the field', (_, data, msg) => {
    const t0 = performance.now();
    expect(() => parseScenario(stringify(data), 's.yaml')).toThrow(msg);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a pareto tail capped by maxSec, and a byte order mark, are fine', () => {
    expect(parseScenario(stringify(withPath(VALID, ['workload', 'duration'], { dist: 'pareto', minSec: 1, alpha: 0.1, maxSec: 1e6 })), 's.yaml').name).toBe('hostile');
    expect(parseScenario(BOM + JSON.stringify(VALID), 's.json').name).toBe('hostile');
  });

  it('a scenario path that is missing, a directory, not a regular file, or names a missing plugin is a ScenarioError naming it', () => {
    const t = tempDir('gpulab-hostile-scn-');
    expect(() => loadScenario(join(t.dir, 'nope.yaml'))).toThrow(/nope\.yaml: invalid scenario\n {2}- cannot read: no such file/);
    expect(() => loadScenario(t.dir)).toThrow(/cannot read: is a directory/);
    expect(() => loadScenario('/dev/null')).toThrow(/\/dev\/null: invalid scenario\n {2}- cannot read: not a regular file/);
    const f = t.write('p.yaml', stringify({ ...VALID, plugins: ['./missing-policy.ts'] }));
    expect(() => loadScenario(f)).toThrow(/plugins\.0: no such file '\.\/missing-policy\.ts'/);
  });
});

describe('memory limits', () => {
  // 1 GiB heap, 10 nodes with 80 GPUs: ⌊(2^30 − 64 MiB − 10·1024 − 80·512) / 3072⌋ = ⌊1,006,581,760 / 3072⌋ = 327,663 jobs
  it('the job budget is the heap left after the program and the cluster, at 3 KiB a job', () => {
    expect(maxJobsInMemory(2 ** 30, 10, 80)).toBe(327_663);
    expect(memoryProblems({ jobs: 327_663, nodes: 10, gpus: 80 }, { jobs: 'workload.jobs', nodes: 'cluster.nodes' }, 2 ** 30)).toEqual([]);
    expect(memoryProblems({ jobs: 327_664, nodes: 10, gpus: 80 }, { jobs: 'workload.jobs', nodes: 'cluster.nodes' }, 2 ** 30)[0]).toMatch(/^workload\.jobs: 327,664 jobs/);
  });
});

/** Every CSV loader, by name, on a file. */
const LOADERS: Record<string, (f: string) => Promise<unknown>> = {
  'gpulab jobs': (f) => loadGpulabJobs(f, { onBadRow: 'stop' }),
  'gpulab nodes': (f) => loadGpulabNodes(f),
  'openb nodes': (f) => loadOpenbNodes(f),
  'openb pods': (f) => loadOpenbPods(f, { onBadRow: 'stop' }),
  'tiresias jobs': (f) => loadTiresiasJobs(f, { onBadRow: 'stop' }),
  'tiresias cluster': (f) => loadTiresiasCluster(f),
  'dlrm instances': (f) => loadDlrmInstances(f),
  'pai tasks': (f) => loadPaiTaskTable(f),
  'pai jobs': (f) => loadPaiJobTable(f),
  'pai machines': (f) => loadPaiMachineSpec(f),
  'gavel trace': (f) => loadGavelTrace(f, new Map([['v100', new Map()]])),
  'gavel throughputs': (f) => loadGavelThroughputs(f),
};

describe('trace and node files', () => {
  const t = tempDir('gpulab-hostile-trace-');
  mkdirSync(join(t.dir, 'a-dir'));
  const empty = t.write('empty.csv', '');

  it.each(Object.keys(LOADERS))('%s: a missing file, a directory and an empty file are TraceErrors naming the file', async (name) => {
    const load = LOADERS[name];
    await expect(load(join(t.dir, 'missing.csv'))).rejects.toThrow(new TraceFileError(join(t.dir, 'missing.csv'), 'no such file'));
    await expect(load(join(t.dir, 'a-dir'))).rejects.toThrow(`${join(t.dir, 'a-dir')}: is a directory, not a file`);
    const err = await load(empty).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as Error).message.startsWith(`${empty}:`)).toBe(true);
  });

  it('a header with no data row is an error, not 0 jobs', async () => {
    const f = t.write('header-only.csv', `${JOBS_HEADER}\n`);
    await expect(loadGpulabJobs(f, { onBadRow: 'stop' })).rejects.toThrow(`${f}: no data rows (empty, or a header only)`);
    const n = t.write('nodes-header-only.csv', 'id,cpu_milli,memory_mib,num_gpu,gpu_model\n');
    await expect(loadGpulabNodes(n)).rejects.toThrow(`${n}: no data rows`);
  });

  it('every row skipped leaves no jobs to run: an error naming the file and the first bad row', async () => {
    const f = t.write('all-bad.csv', `${JOBS_HEADER}\na,t,0,x,0,0,0,\n`);
    await expect(loadTraceJobs({ kind: 'trace', format: 'gpulab', path: f, onBadRow: 'skip' }, t.dir)).rejects.toThrow(
      /all-bad\.csv: no jobs to run \(1 rows; 1 skipped as bad \(first: .*column 'duration_s'/,
    );
  });

  it('a byte order mark before the header is ignored', async () => {
    const f = t.write('bom.csv', `${BOM}${JOBS_HEADER}\na,t,0,1,0,0,0,\n`);
    const { jobs } = await loadGpulabJobs(f, { onBadRow: 'stop' });
    expect(jobs.map((j) => j.id)).toEqual(['a']);
  });

  it.each([
    ['0x10', /expected a number, got '0x10'/],
    ['0b1', /expected a number, got '0b1'/],
    ['Infinity', /expected a number, got 'Infinity'/],
    ['1_000', /expected a number, got '1_000'/],
    ['１２', /expected a number, got '１２'/],
    ['1e308', /must be ≤ 1000000000000, got 1e\+308/],
    ['-1', /must be ≥ 0, got -1/],
  ])("duration_s '%s' is a TraceRowError naming the column", async (v, msg) => {
    const f = t.write('dur.csv', `${JOBS_HEADER}\na,t,0,${v},0,0,0,\n`);
    const err = await loadGpulabJobs(f, { onBadRow: 'stop' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect((err as Error).message).toMatch(new RegExp(`dur\\.csv:2: column 'duration_s': ${msg.source}`));
  });

  it('decimal forms are still numbers: 1e3, .5, +2', async () => {
    const f = t.write('forms.csv', `${JOBS_HEADER}\na,t,+2,1e3,0,0,0,\nb,t,0,.5,0,0,0,\n`);
    const { jobs } = await loadGpulabJobs(f, { onBadRow: 'stop' });
    expect(jobs.map((j) => [j.id, j.submit, j.duration])).toEqual([['b', 0, 500], ['a', 2000, 1_000_000]]);
  });

  it('sizes that would allocate without bound are refused before allocating', async () => {
    const nodes = t.write('many-gpus.csv', 'id,cpu_milli,memory_mib,num_gpu,gpu_model\nn0,1000,1024,1000000000,A100\n');
    await expect(loadGpulabNodes(nodes)).rejects.toThrow(/column 'num_gpu': must be ≤ 1024/);
    const spec = t.write('spec.csv', 'num_switch,num_node_p_switch,num_gpu_p_node,num_cpu_p_node,mem_p_node\n1000000,1000000,4,32,256\n');
    await expect(loadTiresiasCluster(spec)).rejects.toThrow(/spec\.csv: 1000000000000 nodes \(num_switch × num_node_p_switch\)/);
  });

  it('a file with more rows than the heap holds stops at the limit with an error naming it', async () => {
    const f = t.write('rows.csv', `${JOBS_HEADER}\n${['a', 'b', 'c', 'd'].map((id) => `${id},t,0,1,0,0,0,`).join('\n')}\n`);
    await expect(readCsvRows(f, (r) => r.str('id'), { onBadRow: 'stop', maxRows: { rows: 3, why: 'more than fit' } })).rejects.toThrow(`${f}: more than 3 rows: more than fit`);
  });

  it('DLRM times beyond the bound are refused, not turned into unsafe milliseconds', async () => {
    const head = 'instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,memory_request,memory_limit,disk_request,max_instance_per_node,creation_time,scheduled_time,deletion_time';
    const f = t.write('dlrm.csv', `${head}\ni,HN,app,1,1,1,1,0,1,1,1,-1,0,0,1e300\n`);
    await expect(loadDlrmInstances(f)).rejects.toThrow(/column 'deletion_time': must be ≤/);
    const ok = t.write('dlrm-ok.csv', `${head}\ni,HN,app,1,1,1,1,0,1,1,1,-1,0,0,10\n`);
    expect(dlrmJobs((await loadDlrmInstances(ok)).instances)[0].duration).toBe(10_000);
  });

  // One cell of a valid row replaced by something nasty, in every job trace format: the jobs are
  // usable, or the error names file, line and column (or the file, when no row is left).
  const DLRM_HEADER = 'instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,memory_request,memory_limit,disk_request,max_instance_per_node,creation_time,scheduled_time,deletion_time';
  const FORMATS: { name: string; header?: string; row: string[]; load(f: string): Promise<readonly JobSpec[]> }[] = [
    { name: 'gpulab', header: JOBS_HEADER, row: ['a', 't', '1', '2', '100', '100', '1', '500'], load: async (f) => (await loadGpulabJobs(f, { onBadRow: 'stop' })).jobs },
    {
      name: 'openb',
      header: 'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
      row: ['p', '1000', '1024', '1', '500', 'V100M16', 'LS', 'Running', '0', '10', '0'],
      load: async (f) => openbPodsToJobs((await loadOpenbPods(f, { onBadRow: 'stop' })).pods, f),
    },
    { name: 'tiresias', header: 'job_id,num_gpu,submit_time,iterations,model_name,duration,interval', row: ['1', '2', '0', '100', 'resnet', '60', '10'], load: async (f) => (await loadTiresiasJobs(f, { onBadRow: 'stop' })).jobs },
    { name: 'dlrm', header: DLRM_HEADER, row: ['i', 'HN', 'app', '8', '8', '1', '1', '10', '32', '32', '10', '-1', '0', '5', '100'], load: async (f) => dlrmJobs((await loadDlrmInstances(f)).instances) },
    // headerless; inst_num is bounded (1e6) but a fuzzed 999999 would expand to as many jobs: kept small below
    { name: 'pai tasks', row: ['j', 't', '2', 'Terminated', '100', '200', '600', '10', '50', 'V100'], load: async (f) => paiJobs((await loadPaiTaskTable(f)).rows).jobs },
  ];
  const nastyCell = fc.oneof(
    fc.constantFrom('', ' ', '0x10', '0o7', '1e308', '-1e308', '1e-400', 'NaN', 'nan', 'Infinity', '-0', '9007199254740993', '１', '١', '1,5', '"1"', '""', '\u0000', '\u200b1', BOM),
    fc.string({ maxLength: 8 }),
    fc.double().map(String),
    fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 2e6 })).map(String),
  );
  const fuzzCase = fc.constantFrom(...FORMATS).chain((fmt) => fc.record({ fmt: fc.constant(fmt), col: fc.nat(fmt.row.length - 1), value: nastyCell, crlf: fc.boolean(), bom: fc.boolean() }));
  it('fuzzed cells in every job format: usable jobs, or a TraceError naming file, line and column', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async ({ fmt, col, value, crlf, bom }) => {
        const cells = [...fmt.row];
        cells[col] = /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
        const eol = crlf ? '\r\n' : '\n';
        const f = t.write(`fuzz-${n++ % 4}.csv`, `${bom ? BOM : ''}${fmt.header ? fmt.header + eol : ''}${cells.join(',')}${eol}`);
        try {
          for (const j of await fmt.load(f)) expect(invalidJob(j), `${fmt.name}: ${JSON.stringify(j)}`).toBeUndefined();
        } catch (e) {
          if (e instanceof TraceFileError) {
            expect(e.message.startsWith(`${f}: `)).toBe(true);
            return;
          }
          expect(e, `${fmt.name}: ${(e as Error).stack}`).toBeInstanceOf(TraceRowError);
          expect((e as Error).message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: column '`));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('command-line parsing', () => {
  it('a negative number after a string option is its value (the conformance replay hint pastes as printed)', () => {
    const opts = { seed: { type: 'string' }, out: { type: 'string' } } as const;
    expect(parseCli(['x.ts', '--seed', '-331574146'], opts).values.seed).toBe('-331574146');
    expect(parseCli(['--seed=-5'], opts).values.seed).toBe('-5');
    expect(() => parseCli(['--bogus'], opts)).toThrow(UsageError);
    expect(() => parseCli(['--out'], opts)).toThrow(UsageError);
  });

  it.each(['', ' 1', '1.5', '0x10', '1e3', '9007199254740993', '-9007199254740993', 'abc'])("seed '%s' is a UsageError naming --seed", (v) => {
    expect(() => seedFlag('--seed', v)).toThrow(new RegExp(`^--seed: expected an integer .* got '${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'$`));
  });

  it('seeds are any safe integer, negative included; counts keep to their range', () => {
    expect(seedFlag('--seed', '-331574146')).toBe(-331574146);
    expect(seedFlag('--seed', '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => intFlag('--runs', '0', 1, 100)).toThrow(/--runs: expected an integer from 1 to 100, got '0'/);
  });

  it('an output directory that cannot be created is reported without creating anything', () => {
    expect(outDirProblem('/proc/gpulab-x/y')).toMatch(/cannot create a directory in \/proc/);
    expect(() => checkOutDir('--out', '/proc/gpulab-x')).toThrow(/^--out \/proc\/gpulab-x: not writable/);
    const t = tempDir('gpulab-hostile-out-');
    expect(outDirProblem(join(t.dir, 'a/b'))).toBeUndefined();
    expect(readdirSync(t.dir)).toEqual([]);
    const f = t.write('file', 'x');
    expect(outDirProblem(join(f, 'sub'))).toMatch(/is not a directory/);
  });

  it('known errors print as one message; an internal one hides its stack unless GPULAB_DEBUG=1', () => {
    expect(describeFailure(new UsageError('--seed: bad'), {})).toEqual({ text: 'error: --seed: bad\n(--help for usage)', code: 2 });
    expect(describeFailure(new ScenarioError('s.yaml', ['jobs: bad']), {})).toEqual({ text: 'error: s.yaml: invalid scenario\n  - jobs: bad', code: 1 });
    expect(describeFailure(new TraceFileError('t.csv', 'no such file'), {}).text).toBe('error: t.csv: no such file');
    const internal = new RangeError('boom');
    expect(describeFailure(internal, {}).text).not.toMatch(STACK_LINE);
    expect(describeFailure(internal, { GPULAB_DEBUG: '1' }).text).toMatch(STACK_LINE);
  });

  it('no Math.max/Math.min spreads an array anywhere (a million arguments overflow the stack)', async () => {
    const { readFileSync } = await import('node:fs');
    const ts = (dir: string) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, dir, f));
    const files = [...ts('src'), ...ts('viz/src'), ...ts('policies')];
    expect(files.length).toBeGreaterThan(50);
    const hits = files.filter((f) => /Math\.(max|min)\((\s*[^()]*,)?\s*\.\.\./.test(readFileSync(f, 'utf8')));
    expect(hits).toEqual([]);
  });
});

// ---- every CLI, as a child process: non-zero exit, a message naming the file/field/flag, no stack
// trace, no output left behind, bounded time (and heap: see runCli). ≤ 25 processes, 2 at a time.

interface CliCase {
  readonly name: string;
  readonly cli: 'sim' | 'conformance' | 'export-trace' | 'live';
  readonly args: (t: ReturnType<typeof tempDir>, out: string) => string[];
  /** Expected exit code; 0 for the cases that must work. */
  readonly code: number;
  readonly message: RegExp;
  /** Wall-clock bound, ms. */
  readonly within?: number;
  /** A run that happened and failed keeps its outputs (they say why). */
  readonly keepsOutput?: boolean;
}

const scenario = (t: ReturnType<typeof tempDir>, name: string, data: unknown) => t.write(name, stringify(data));
const traceScenario = (t: ReturnType<typeof tempDir>, jobs: string, nodes = 'nodes.csv') => {
  return scenario(t, `trace-${jobs}-${nodes}.yaml`, { ...VALID, failures: undefined, cluster: { nodesCsv: nodes }, workload: { kind: 'trace', path: jobs } });
};

const CASES: CliCase[] = [
  { name: 'sim: a missing node CSV', cli: 'sim', code: 1, message: /missing-nodes\.csv: no such file/, args: (t, o) => [traceScenario(t, 'jobs.csv', 'missing-nodes.csv'), '--out', o] },
  { name: 'sim: a node CSV that is a directory', cli: 'sim', code: 1, message: /a-dir: is a directory/, args: (t, o) => [traceScenario(t, 'jobs.csv', 'a-dir'), '--out', o] },
  { name: 'sim: an empty trace', cli: 'sim', code: 1, message: /empty\.csv: no data rows/, args: (t, o) => [traceScenario(t, 'empty.csv'), '--out', o] },
  { name: 'sim: an empty node file', cli: 'sim', code: 1, message: /empty\.csv: no data rows/, args: (t, o) => [traceScenario(t, 'jobs.csv', 'empty.csv'), '--out', o] },
  { name: 'sim: 0x10 in a duration column', cli: 'sim', code: 1, message: /hex\.csv:2: column 'duration_s': expected a number, got '0x10'/, args: (t, o) => [traceScenario(t, 'hex.csv'), '--out', o] },
  { name: 'sim: untilSec 1e308', cli: 'sim', code: 1, message: /untilSec: Too big/, args: (t, o) => [scenario(t, 'until.yaml', { ...VALID, untilSec: 1e308 }), '--out', o] },
  { name: 'sim: jobs 100000000 fails fast on memory', cli: 'sim', code: 1, message: /workload\.jobs: 100,000,000 jobs .* heap limit/, within: 10_000, args: (t, o) => [scenario(t, 'huge.yaml', withPath(VALID, ['workload', 'jobs'], 1e8)), '--out', o] },
  { name: 'sim: --seed ""', cli: 'sim', code: 2, message: /--seed: expected an integer/, args: (t, o) => [scenario(t, 'ok.yaml', VALID), '--seed', '', '--out', o] },
  { name: 'sim: --seed 2^53+1', cli: 'sim', code: 2, message: /--seed: expected an integer .* got '9007199254740993'/, args: (t, o) => [scenario(t, 'ok.yaml', VALID), '--seed', '9007199254740993', '--out', o] },
  { name: 'sim: --out /proc/x fails fast', cli: 'sim', code: 2, message: /--out \/proc\/gpulab-x: not writable/, within: 10_000, args: (t) => [scenario(t, 'ok.yaml', VALID), '--out', '/proc/gpulab-x'] },
  { name: 'sim: an unknown flag', cli: 'sim', code: 2, message: /Unknown option '--bogus'/, args: (t, o) => [scenario(t, 'ok.yaml', VALID), '--bogus', '--out', o] },
  { name: 'sim: the scenario is a directory', cli: 'sim', code: 1, message: /a-dir: invalid scenario\n {2}- cannot read: is a directory/, args: (t, o) => [join(t.dir, 'a-dir'), '--out', o] },
  { name: 'sim: a BOM trace and a negative seed run', cli: 'sim', code: 0, message: /1 runs/, args: (t) => [traceScenario(t, 'bom.csv'), '--seed', '-5', '--dry-run'] },
  { name: 'conformance: --runs abc', cli: 'conformance', code: 2, message: /--runs: expected an integer from 1 to 1000000, got 'abc'/, args: () => ['examples/my-policy.ts', '--runs', 'abc'] },
  { name: 'conformance: a missing policy file', cli: 'conformance', code: 1, message: /nope-policy\.ts: no such file/, args: (t) => [join(t.dir, 'nope-policy.ts')] },
  { name: 'conformance: the replay hint with a negative seed', cli: 'conformance', code: 0, message: /all properties hold/, args: () => ['examples/my-policy.ts', '--runs', '2', '--seed', '-331574146'] },
  { name: 'trace:export: --out in a folder that cannot exist', cli: 'export-trace', code: 2, message: /--out \/proc\/gpulab-x\/t\.csv: not writable/, args: (t) => [scenario(t, 'ok.yaml', VALID), '--out', '/proc/gpulab-x/t.csv'] },
  { name: 'trace:export: a missing scenario', cli: 'export-trace', code: 1, message: /nope\.yaml: invalid scenario\n {2}- cannot read: no such file/, args: (t, o) => [join(t.dir, 'nope.yaml'), '--out', o] },
  { name: 'trace:export: --jobs 1e3', cli: 'export-trace', code: 2, message: /--jobs: expected an integer .* got '1e3'/, args: (t, o) => [scenario(t, 'ok.yaml', VALID), '--out', o, '--jobs', '1e3'] },
  { name: 'live: --time-scale 0', cli: 'live', code: 2, message: /--time-scale: expected a number from 0\.001 to 1000000, got '0'/, args: (t, o) => [scenario(t, 'ok.yaml', VALID), '--time-scale', '0', '--out', o] },
  {
    name: 'live: every job fails',
    cli: 'live',
    code: 1,
    keepsOutput: true,
    message: /error: no job succeeded in the live run \(2 failed: command exited with code 1\)/,
    args: (t, o) => [
      scenario(t, 'live-fail.yaml', {
        ...VALID,
        failures: undefined,
        workload: { ...VALID.workload, jobs: 2, meanInterarrivalSec: 0.1, duration: { dist: 'constant', sec: 0.1 }, demands: [{ gpus: 1, cpu: 1000, memory: 512, work: { kind: 'command', argv: ['/bin/false'] } }] },
        live: { timeScale: 1, timeoutSec: 20 },
      }),
      '--out',
      o,
    ],
  },
];

describe('every CLI on nasty input', () => {
  const t = tempDir('gpulab-hostile-cli-');
  mkdirSync(join(t.dir, 'a-dir'));
  t.write('nodes.csv', NODES_CSV);
  t.write('jobs.csv', `${JOBS_HEADER}\na,t,0,10,1000,1024,1,500\n`);
  t.write('empty.csv', '');
  t.write('hex.csv', `${JOBS_HEADER}\na,t,0,0x10,1000,1024,1,500\n`);
  t.write('bom.csv', `${BOM}${JOBS_HEADER}\na,t,0,10,1000,1024,1,500\n`);
  let results: CliResult[] = [];
  const outs = CASES.map((_, i) => join(t.dir, `out-${i}`));

  it('runs the table (at most 25 processes, 2 at a time)', async () => {
    expect(CASES.length).toBeLessThanOrEqual(25);
    results = await mapLimited(CASES, 2, (c) => runCli(c.cli, c.args(t, outs[CASES.indexOf(c)]), c.within ?? 30_000));
  }, 180_000);

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_, i) => {
    const c = CASES[i];
    const r = results[i];
    expect(r, 'the table ran').toBeDefined();
    const all = `${r.stdout}\n${r.stderr}`;
    expect(r.signal, `killed after ${Math.round(r.ms)} ms:\n${all}`).toBeNull();
    expect(r.code, all).toBe(c.code);
    expect(all).toMatch(c.message);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toMatch(/heap out of memory|Maximum call stack/);
    expect(r.stdout).not.toMatch(/NaN/);
    if (c.within !== undefined) expect(r.ms).toBeLessThan(c.within);
    if (c.code !== 0 && !c.keepsOutput) {
      expect(existsSync(outs[i]), `${outs[i]} left behind`).toBe(false);
      const leftovers = readdirSync(t.dir).filter((n) => n.startsWith('.out-'));
      expect(leftovers).toEqual([]);
    }
  });
});
