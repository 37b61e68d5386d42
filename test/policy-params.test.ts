import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import '../policies/index.ts';
import { loadScenario, parseScenario } from '../src/scenario/load.ts';
import { policyParamProblems } from '../src/scenario/policy-params.ts';
import { runScenario } from '../src/scenario/run.ts';
import {
  placementPolicyFactory,
  placementPolicyNames,
  PolicyParamsError,
  queuePolicyFactory,
  queuePolicyNames,
  registerQueuePolicy,
} from '../src/scheduler/registry.ts';

/** The problems a factory reports for `params` (PolicyParamsError), or [] when it accepts them. */
function factoryProblems(make: () => unknown): string[] {
  try {
    make();
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyParamsError);
    return [...(e as PolicyParamsError).problems];
  }
}

describe('every registered policy refuses a param it does not take, naming the key', () => {
  it.each(queuePolicyNames())('queue policy %s', (name) => {
    const p = factoryProblems(() => queuePolicyFactory(name)({ bogus: 1 }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^bogus: unknown param \((this policy takes no params|params: .+)\)$/);
  });
  it.each(placementPolicyNames())('placement policy %s', (name) => {
    const p = factoryProblems(() => placementPolicyFactory(name)({ bogus: 1 }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^bogus: unknown param \((this policy takes no params|params: .+)\)$/);
  });
  it('lists the params a policy does take', () => {
    expect(factoryProblems(() => queuePolicyFactory('las')({ thresholds: [1] }))).toEqual([
      'thresholds: unknown param (params: starveFactor, starveMinSec, thresholdsGpuSec)',
    ]);
    expect(factoryProblems(() => queuePolicyFactory('fifo')({ preempt: true }))).toEqual(['preempt: unknown param (this policy takes no params)']);
  });
});

// Bad values per policy that takes params: the field path (from the params' root) and the message.
const BAD: [kind: 'queue' | 'placement', policy: string, params: Record<string, unknown>, problem: RegExp][] = [
  ['queue', 'priority', { preempt: 'yes' }, /^preempt: .*expected boolean, received string$/],
  ['queue', 'las', { thresholdsGpuSec: '250' }, /^thresholdsGpuSec: .*expected array, received string$/],
  ['queue', 'las', { thresholdsGpuSec: [250, 'x'] }, /^thresholdsGpuSec\.1: .*expected number, received string$/],
  ['queue', 'las', { thresholdsGpuSec: [250, 100] }, /^thresholdsGpuSec: must be increasing$/], // 100 ≤ 250
  ['queue', 'las', { thresholdsGpuSec: [0] }, /^thresholdsGpuSec\.0: .*>0/], // attained service ≥ 0 always: queue 1 only
  ['queue', 'las', { starveFactor: -1 }, /^starveFactor: .*>=0/],
  ['queue', 'las', { starveMinSec: null }, /^starveMinSec: .*expected number, received null$/],
  ['placement', 'fgd', { typicalPods: 'all' }, /^typicalPods: .*expected array, received string$/],
  ['placement', 'fgd', { typicalPods: [{ cpu: 0, gpus: 1, milli: 1500, spec: '', freq: 1, count: 1 }] }, /^typicalPods\.0\.milli: .*<=1000/],
  ['placement', 'fgd', { typicalPods: [{ cpu: 0, gpus: 1, milli: 500, spec: '', freq: 1, count: 1, weight: 2 }] }, /^typicalPods\.0\.weight: unknown key$/],
];

describe('a policy param of the wrong type or range is an error naming the field', () => {
  it.each(BAD)('%s policy %s with %j', (kind, name, params, problem) => {
    const make = kind === 'queue' ? () => queuePolicyFactory(name)(params) : () => placementPolicyFactory(name)(params);
    const p = factoryProblems(make);
    expect(p.some((x) => problem.test(x)), p.join('\n')).toBe(true);
    expect(() => make()).toThrow(`${kind} policy '${name}': invalid params`);
  });

  it('accepts valid params and fills defaults', () => {
    expect(factoryProblems(() => queuePolicyFactory('las')({ thresholdsGpuSec: [250, 1000], starveFactor: 2 }))).toEqual([]);
    expect(factoryProblems(() => queuePolicyFactory('priority')({ preempt: true }))).toEqual([]);
    expect(factoryProblems(() => placementPolicyFactory('fgd')({ typicalPods: [{ cpu: 0, gpus: 1, milli: 500, spec: '', freq: 1, count: 1 }] }))).toEqual([]);
    expect(queuePolicyFactory('priority')({ preempt: true }).victims).toBeTypeOf('function');
    expect(queuePolicyFactory('priority')().victims).toBeUndefined();
  });

  it('a registered policy gets its params parsed, defaults filled in', () => {
    const seen: unknown[] = [];
    registerQueuePolicy(
      'test-depth',
      (p) => {
        seen.push(p);
        return { ...queuePolicyFactory('fifo')(), name: 'test-depth' };
      },
      { params: z.strictObject({ depth: z.number().int().positive().default(2) }) },
    );
    queuePolicyFactory('test-depth')();
    queuePolicyFactory('test-depth')({ depth: 5 });
    expect(seen).toEqual([{ depth: 2 }, { depth: 5 }]);
    expect(factoryProblems(() => queuePolicyFactory('test-depth')({ depth: 1.5 }))[0]).toMatch(/^depth: .*expected int/);
  });
});

const SCENARIO = `
name: params-check
cluster:
  nodes:
    - { prefix: n, count: 2, cpu: 8000, memory: 16384, gpus: [{ count: 2, model: A100 }] }
workload:
  kind: synthetic
  jobs: 10
  meanInterarrivalSec: 5
  duration: { dist: exponential, meanSec: 60 }
  tenants: [{ name: a }]
  demands: [{ gpus: 1, cpu: 1000, memory: 1024 }]
policies:
  - { queue: las, placement: first-fit, params: { queue: { thresholdsGpuSec: "250" } } }
`;

function scenarioFile(text: string, name = 'x.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gpulab-params-')), name);
  writeFileSync(file, text);
  return file;
}

describe('scenario files: policy names and params are checked before any run', () => {
  it('names policies.0.params.queue.thresholdsGpuSec (loadScenario, then runScenario)', async () => {
    const file = scenarioFile(SCENARIO);
    const scn = loadScenario(file); // structurally valid: params are checked once plugins are loaded
    await expect(runScenario(scn, { file, dryRun: true })).rejects.toThrow(
      `${file}: invalid scenario\n  - policies.0.params.queue.thresholdsGpuSec: Invalid input: expected array, received string`,
    );
  });

  it('reports every bad combination, with its index and the side (queue or placement)', () => {
    const scn = parseScenario(
      SCENARIO.replace(
        /policies:[\s\S]*$/,
        `policies:
  - { queue: fifo, placement: first-fit }
  - { queue: priority, placement: first-fit, params: { queue: { preempt: 1 } } }
  - { queue: fifo, placement: best-fit, params: { placement: { tight: true } } }
  - { queue: nope, placement: worst-fit }
  - { queue: fifo, placement: nowhere }
`,
      ),
      'x.yaml',
    );
    const p = policyParamProblems(scn);
    expect(p).toHaveLength(4);
    expect(p[0]).toMatch(/^policies\.1\.params\.queue\.preempt: .*expected boolean, received number$/);
    expect(p[1]).toBe('policies.2.params.placement.tight: unknown param (this policy takes no params)');
    expect(p[2]).toMatch(/^policies\.3\.queue: unknown queue policy 'nope' \(known: .*\bdrf, fifo, las\b.*\)$/);
    expect(p[3]).toMatch(/^policies\.4\.placement: unknown placement policy 'nowhere' \(known: .*\bbest-fit, best-fit-study\b.*\)$/);
  });

  it("a plugin's policy is checked against the schema it registers (after the plugin is loaded)", async () => {
    const plugin = resolve(import.meta.dirname, '../examples/my-policy.ts');
    const text = SCENARIO.replace(/policies:[\s\S]*$/, `policies:\n  - { queue: fifo, placement: spread, params: { placement: { by: disk } } }\nplugins: [${JSON.stringify(plugin)}]\n`);
    const file = scenarioFile(text);
    await expect(runScenario(loadScenario(file), { file, dryRun: true })).rejects.toThrow(/\n {2}- policies\.0\.params\.placement\.by: Invalid option: expected one of "gpu"\|"cpu"/);
    const ok = scenarioFile(text.replace('by: disk', 'by: cpu'));
    const s = await runScenario(loadScenario(ok), { file: ok, dryRun: true });
    expect(s.runs.map((r) => r.placement)).toEqual(['spread']);
  });

  it('every shipped scenario without plugins names registered policies with valid params', () => {
    const dir = resolve(import.meta.dirname, '../scenarios');
    for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
      const scn = loadScenario(join(dir, f));
      if (scn.plugins.length > 0) continue;
      expect(policyParamProblems(scn), f).toEqual([]);
    }
  });
});

describe('static fill: a placement name means one algorithm', () => {
  const STATIC = SCENARIO.replace(/workload:\n(  .*\n)+/, 'workload: { kind: static-fill, format: openb, path: pods.csv, tune: 1.3 }\n');
  const withPolicies = (list: string) => STATIC.replace(/policies:[\s\S]*$/, `policies:\n${list}`);

  it('refuses a placement that has no static-fill kernel, naming the field and listing those that do', async () => {
    const file = scenarioFile(withPolicies('  - { queue: fifo, placement: fgd }\n  - { queue: fifo, placement: mig-best-fit }\n'));
    await expect(runScenario(loadScenario(file), { file, dryRun: true })).rejects.toThrow(
      /x\.yaml: invalid scenario\n {2}- policies\.1\.placement: 'mig-best-fit' has no static-fill kernel; workload\.kind static-fill runs: best-fit, best-fit-study, .*fgd/,
    );
  });

  it('refuses placement params, which the kernels do not take', () => {
    const scn = parseScenario(withPolicies('  - { queue: fifo, placement: fgd, params: { placement: { typicalPods: [] } } }\n'), 'x.yaml');
    expect(policyParamProblems(scn)).toEqual(['policies.0.params.placement.typicalPods: not used by workload.kind static-fill (its kernels take no params)']);
  });

  it("scenarios/fgd-openb.yaml names the study's BestFit as best-fit-study, labelled best-fit", () => {
    const scn = loadScenario(resolve(import.meta.dirname, '../scenarios/fgd-openb.yaml'));
    expect(policyParamProblems(scn)).toEqual([]);
    expect(scn.policies.find((c) => c.label === 'best-fit')?.placement).toBe('best-fit-study');
    expect(scn.policies.some((c) => c.placement === 'best-fit')).toBe(false);
  });
});
