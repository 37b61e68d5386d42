import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { contextTable } from '../src/context/metrics.ts';
import { warmStateMaker } from '../src/context/setup.ts';
import { fastRecord, LogRecordSchema } from '../src/log/records.ts';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

const AFFINITY = 'scenarios/affinity.yaml';

/** A small scenario with contexts, as YAML; `extra` is appended at the top level. */
const yaml = (extra: string, combo = '{ queue: fifo, placement: affinity }') => `
name: ctx
cluster: { nodes: [{ prefix: n, count: 1, cpu: 1000, memory: 1000, gpus: [{ count: 1, model: A }] }] }
workload:
  kind: synthetic
  jobs: 3
  meanInterarrivalSec: 1
  duration: { dist: constant, sec: 1 }
  tenants: [{ name: a }]
  demands: [{ gpus: 1, cpu: 1, memory: 1, context: { count: 3 } }]
policies: [${combo}]
${extra}`;

describe('scenario contexts section', () => {
  it('parses, with defaults filled in', () => {
    const scn = parseScenario(yaml('contexts: { coldStartSec: 30 }'), 'x.yaml');
    expect(scn.contexts).toEqual({ warmStartSec: 0, coldStartSec: 30, warmPool: { policy: 'idle-timeout', params: {} } });
  });

  it('names the bad field', () => {
    expect(() => parseScenario(yaml('contexts: { coldStartSec: -1 }'), 'x.yaml')).toThrow(/contexts\.coldStartSec/);
    expect(() => parseScenario(yaml('contexts: { coldStartSec: 1, perContext: { m: { coldStartSec: 1 } } }'), 'x.yaml')).toThrow(/contexts\.perContext\.m\.warmStartSec/);
    expect(() => parseScenario(yaml('contexts: { coldStartSec: 1, warm: 2 }'), 'x.yaml')).toThrow(/contexts.*warm/);
  });

  it('refuses a warm-pool policy without contexts', () => {
    expect(() => parseScenario(yaml('', '{ queue: fifo, placement: affinity, warmPool: { policy: fixed } }'), 'x.yaml')).toThrow(/policies\.0\.warmPool: a warm-pool policy needs a `contexts:` section/);
  });

  it('checks warm-pool names and params before any run, naming the field', () => {
    const bad = parseScenario(yaml('contexts: { coldStartSec: 1, warmPool: { policy: lru } }', '{ queue: fifo, placement: affinity, warmPool: { policy: fixed, params: { perContext: -2 } } }'), 'x.yaml');
    let err: unknown;
    try {
      warmStateMaker(bad, 'x.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).problems).toEqual([
      "contexts.warmPool.policy: unknown warm-pool policy 'lru' (known: demand-proportional, fixed, idle-timeout)",
      'policies.0.warmPool.params.perContext: Too small: expected number to be >=0',
    ]);
  });
});

describe('context log records', () => {
  const START = { t: 5, ev: 'start', job: 'j1', node: 'n0', gpus: [0], milli: 1000, attempt: 1 };
  const ARRIVAL = { t: 0, ev: 'arrival', job: 'j1', tenant: 'a', cpu: 1, mem: 1, gpus: 1, milli: 1000, prio: 0, dur: 100 };
  // The fast path accepts exactly what zod accepts unchanged (the property test in log-records covers the rest).
  it.each([
    [{ ...START, context: 'm', warm: true, overhead: 1000 }, true],
    [{ ...START, context: 'm', warm: false, overhead: 0 }, true],
    [{ ...START, warm: 'yes' }, false],
    [{ ...START, overhead: -1 }, false],
    [{ ...START, context: 3 }, false],
    [{ ...ARRIVAL, context: 'm' }, true],
    [{ ...ARRIVAL, context: 1 }, false],
  ])('%j valid: %s, fast path agrees with the schema', (rec, valid) => {
    const v = JSON.parse(JSON.stringify(rec));
    expect(LogRecordSchema.safeParse(v).success).toBe(valid);
    expect(fastRecord(v) !== undefined).toBe(valid);
  });
});

describe('scenarios/affinity.yaml', () => {
  it('is deterministic: the same seed gives the same digests and context figures, and policies differ', async () => {
    const scn = loadScenario(AFFINITY);
    const once = () => runScenario({ ...scn, workload: { ...scn.workload, jobs: 300 } as typeof scn.workload }, { file: AFFINITY, dryRun: true, jobs: 1 });
    const [a, b] = [await once(), await once()];
    const view = (r: typeof a) => r.runs.map((x) => [x.label, x.digest, x.contexts]);
    expect(view(a)).toEqual(view(b));
    expect(a.runs.map((r) => r.label)).toEqual(['best-fit', 'affinity', 'affinity-wait', 'affinity+fixed-2', 'affinity+demand', 'affinity+idle-60s']);
    expect(new Set(a.runs.map((r) => r.digest)).size).toBe(a.runs.length);
    for (const r of a.runs) expect(r.contexts!.coldStarts + r.contexts!.warmStarts).toBeGreaterThanOrEqual(300);
    // Affinity starts more jobs warm than plain best-fit on this workload.
    const warm = (l: string) => a.runs.find((r) => r.label === l)!.contexts!.warmStarts;
    expect(warm('affinity')).toBeGreaterThan(warm('best-fit'));
    expect(contextTable(a.runs)).toContain('pool idle GPU·s');
    expect(contextTable([{ run: 'x' }])).toBe('');
  }, 120_000);
});
