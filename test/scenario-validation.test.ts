import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';

const VALID = `
name: ok
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
  - { queue: fifo, placement: first-fit }
`;

function problems(text: string, file = 'bad.yaml'): string[] {
  try {
    parseScenario(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as Error).message.startsWith(`${file}: invalid scenario`)).toBe(true);
    return [...(e as ScenarioError).problems];
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario validation', () => {
  it('accepts a valid file and fills defaults', () => {
    const s = parseScenario(VALID, 'ok.yaml');
    expect(s.seeds).toEqual([1]);
    expect(s.scheduler.headOfLine).toBe('skip');
    expect(s.policies[0].params).toEqual({ queue: {}, placement: {} });
    if (!('nodes' in s.cluster)) throw new Error('expected node groups');
    expect(s.cluster.nodes[0].gpus[0].capacity).toBe(1000);
  });

  it.each([
    ['a missing required field', VALID.replace(/policies:[\s\S]*$/, ''), /^policies: /],
    ['a wrong type', VALID.replace('jobs: 10', 'jobs: ten'), /^workload\.jobs: .*expected number/],
    ['a negative count', VALID.replace('count: 2, cpu', 'count: -1, cpu'), /^cluster\.nodes\.0\.count: /],
    ['an unknown field', VALID.replace('jobs: 10', 'jobs: 10\n  jbos: 3'), /^workload: .*jbos/],
    ['an unknown distribution', VALID.replace('dist: exponential', 'dist: gamma'), /^workload\.duration\.dist: /],
    ['a GPU share above 1000 milli', VALID.replace('gpus: 1, cpu', 'gpus: 1, milli: 1500, cpu'), /^workload\.demands\.0\.milli: .*1000/],
    ['a bad name', VALID.replace('name: ok', 'name: "has spaces"'), /^name: letters, digits/],
  ])('rejects %s, naming the field path', (_what, text, pattern) => {
    const p = problems(text);
    expect(p.some((x) => pattern.test(x)), p.join('\n')).toBe(true);
  });

  it('reports YAML syntax errors with line and column', () => {
    const p = problems('name: x\ncluster: [unclosed\n');
    expect(p[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('reports invalid JSON for .json files and unreadable files by name', () => {
    expect(problems('{ "name": ', 'bad.json')[0]).toMatch(/not valid JSON/);
    expect(() => loadScenario('does/not/exist.yaml')).toThrow(/does\/not\/exist\.yaml: invalid scenario\n {2}- cannot read/);
  });

  it('loads from disk and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpulab-scn-'));
    const f = join(dir, 'broken.yaml');
    writeFileSync(f, VALID.replace('jobs: 10', 'jobs: 0'));
    expect(() => loadScenario(f)).toThrow(`${f}: invalid scenario`);
    expect(() => loadScenario(f)).toThrow(/workload\.jobs: /);
  });

  it('every shipped scenario file is valid', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('scenarios').filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files).toContain('quickstart.yaml');
    for (const f of files) expect(() => loadScenario(join('scenarios', f)), f).not.toThrow();
  });
});
