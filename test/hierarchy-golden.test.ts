import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

const SMALL = 'scenarios/hierarchy-small.yaml';

/**
 * Golden digests of scenarios/hierarchy-small.yaml's event logs (sha256 of events.jsonl): the
 * global run and five hierarchies (2 and 4 shards, zone shards; bounce, steal and wait; two shard
 * failures). Update only when a change of the hierarchy's behaviour is intended.
 */
const GOLDEN: Record<string, string> = {
  'global/seed-1': '6984ed6d4f0b41f461050dc6681e3f564489fe4387cd8bb54e4fa40fb7727f05',
  's2-least-loaded/seed-1': '475e1c1f78fc82ae2487ac1ed7a5dc602f34eca3bb45ee2bdcedcc6378885f86',
  's4-best-fit-bounce/seed-1': '616e0bec583e9836dc1842216454c8a2e021306704b18e4f640f7ac64424b8e4',
  's4-p2c-steal/seed-1': 'ea71d605b054c136692837fac8c57e014edb41e34ca8771055100b2537ca0711',
  's4-random-wait-fail/seed-1': 'b8caf357dc2e2201faad9594ea191113449aa332381867a4e6a9a2933553800b',
  'zones-tenant-affinity/seed-1': '4ff1c9ff733afd2659a28a6be562419439862343d532308f7815bdc5875bf5d9',
};

describe('hierarchical runs are deterministic', () => {
  it('the small hierarchy scenario gives its golden digests on one thread and on workers', async () => {
    const serial = await runScenario(loadScenario(SMALL), { file: SMALL, dryRun: true, jobs: 1 });
    const threads = await runScenario(loadScenario(SMALL), { file: SMALL, dryRun: true, jobs: 2 });
    const digests = (s: typeof serial) => Object.fromEntries(s.runs.map((r) => [r.run, r.digest]));
    expect(digests(serial)).toEqual(GOLDEN);
    expect(digests(threads)).toEqual(GOLDEN);
    // The hierarchy metrics ride along in each hierarchical run's summary; the global run has none.
    const byRun = new Map(serial.runs.map((r) => [r.run, r]));
    expect(byRun.get('global/seed-1')!.hierarchy).toBeUndefined();
    const zones = byRun.get('zones-tenant-affinity/seed-1')!.hierarchy!;
    expect(zones.perShard.map((s) => [s.shard, s.gpus])).toEqual([
      ['east', 24],
      ['west', 24],
    ]);
    expect(zones.shardDowns).toBe(1);
    const steal = byRun.get('s4-p2c-steal/seed-1')!.hierarchy!;
    expect(steal.steals).toBeGreaterThan(0);
    expect(steal.bounces).toBe(0);
    // every job is routed at least once; bounces add routings
    for (const r of serial.runs) if (r.hierarchy) expect(r.hierarchy.routes).toBe(1500 + r.hierarchy.bounces);
  }, 120_000);
});

const BASE = `
name: h
cluster:
  nodes:
    - { prefix: n, count: 2, cpu: 8000, memory: 16384, gpus: [{ count: 2, model: A100 }], labels: { zone: z } }
workload:
  kind: synthetic
  jobs: 10
  meanInterarrivalSec: 5
  duration: { dist: exponential, meanSec: 60 }
  tenants: [{ name: a }]
  demands: [{ gpus: 1, cpu: 1000, memory: 1024 }]
`;

async function problems(policies: string, extra = ''): Promise<string[]> {
  const file = 'h.yaml';
  try {
    const scn = parseScenario(`${BASE}${extra}\npolicies:\n${policies}`, file);
    await runScenario(scn, { file, dryRun: true, jobs: 1 });
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return [...(e as ScenarioError).problems];
  }
  throw new Error('expected a ScenarioError');
}

describe('hierarchy: errors name the field', () => {
  it.each([
    ['  - { queue: fifo, placement: first-fit, hierarchy: { routing: least-loaded } }', /policies\.0\.hierarchy\.shards: give `shards: N` or `by: <node label>`/],
    ['  - { queue: fifo, placement: first-fit, hierarchy: { shards: 2, by: zone, routing: least-loaded } }', /policies\.0\.hierarchy\.by: give `shards: N` or `by: <node label>`, one of them/],
    ['  - { queue: fifo, placement: first-fit, hierarchy: { shards: 2, routing: nope } }', /policies\.0\.hierarchy\.routing: unknown routing policy 'nope' \(known: best-fit-by-summary, least-loaded/],
    ['  - { queue: fifo, placement: first-fit, hierarchy: { shards: 2, routing: power-of-two, params: { choices: 0 } } }', /policies\.0\.hierarchy\.params\.choices: /],
    ['  - { queue: fifo, placement: first-fit, hierarchy: { shards: 3, routing: random } }', /policies\.0\.hierarchy\.shards: 3 shards for 2 nodes/],
    ['  - { queue: fifo, placement: first-fit, hierarchy: { by: rack, routing: random } }', /policies\.0\.hierarchy\.by: node n0 has no label 'rack'/],
    ['  - { queue: fifo, placement: first-fit, hierarchy: { shards: 2, routing: random, failures: [{ shard: s7, atSec: 1, forSec: 1 }] } }', /policies\.0\.hierarchy\.failures\.0\.shard: unknown shard 's7' \(shards: s0, s1\)/],
  ])('%s', async (policies, want) => {
    expect((await problems(policies)).join('\n')).toMatch(want);
  });

  it('two hierarchies of the same policies get distinct default labels', async () => {
    const scn = parseScenario(`${BASE}\npolicies:\n  - { queue: fifo, placement: first-fit }\n  - { queue: fifo, placement: first-fit, hierarchy: { shards: 2, routing: random } }\n  - { queue: fifo, placement: first-fit, hierarchy: { by: zone, routing: random } }`, 'h.yaml');
    const s = await runScenario(scn, { file: 'h.yaml', dryRun: true, jobs: 1 });
    expect(s.runs.map((r) => r.label)).toEqual(['fifo+first-fit', 'fifo+first-fit+h2-random', 'fifo+first-fit+hzone-random']);
  });
});
