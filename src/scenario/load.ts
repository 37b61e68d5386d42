import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { tooManyNodes } from '../limits.ts';
import { scenarioLimitProblems } from './limits.ts';
import { ScenarioSchema, type Scenario } from './schema.ts';

export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid scenario\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Formats zod issues as `path.to.field: message`, one per problem. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
    return `${path}: ${i.message}`;
  });
}

/**
 * Parses and validates scenario text, and checks its size against src/scenario/limits.ts (memory
 * for its jobs and nodes, times in range); `file` names the source in errors. A byte order mark is
 * ignored.
 */
export function parseScenario(text: string, file: string): Scenario {
  text = text.replace(/^\uFEFF/, '');
  let data: unknown;
  if (extname(file).toLowerCase() === '.json') {
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new ScenarioError(file, [`not valid JSON: ${(e as Error).message}`]);
    }
  } else {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new ScenarioError(
        file,
        doc.errors.map((e) => {
          const pos = e.linePos?.[0];
          return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}`;
        }),
      );
    }
    try {
      data = doc.toJS();
    } catch (e) {
      // e.g. an alias to an anchor never set (`b: *x`): yaml throws only when converting.
      throw new ScenarioError(file, [`${aliasPosition(doc, text) ?? '(root)'}: ${(e as Error).message}`]);
    }
  }
  const r = ScenarioSchema.safeParse(data);
  if (!r.success) throw new ScenarioError(file, formatIssues(r.error.issues));
  const problems = [...duplicateProblems(r.data), ...scenarioLimitProblems(r.data)];
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return r.data;
}

/**
 * Names that must be unique across entries, which a per-field schema does not see: node ids of
 * inline node groups (`<prefix><index>`: prefixes `n` and `n1` can collide), tenant names, seeds
 * (a repeated seed would overwrite its own output).
 */
function duplicateProblems(scn: Scenario): string[] {
  const problems: string[] = [];
  const seeds = new Set<number>();
  scn.seeds.forEach((s, i) => {
    if (seeds.has(s)) problems.push(`seeds.${i}: duplicate seed ${s}`);
    seeds.add(s);
  });
  if ('nodes' in scn.cluster && !tooManyNodes(scn.cluster.nodes)) {
    const group = new Map<string, number>();
    scn.cluster.nodes.forEach((g, gi) => {
      const width = String(g.count - 1).length;
      for (let i = 0; i < g.count; i++) {
        const id = `${g.prefix}${String(i).padStart(width, '0')}`;
        const other = group.get(id);
        if (other !== undefined) {
          problems.push(`cluster.nodes.${gi}.prefix: node id '${id}' is also an id of cluster.nodes.${other}`);
          return;
        }
        group.set(id, gi);
      }
    });
  }
  const tenants = (field: string, list: readonly { name: string }[] | undefined) => {
    const seen = new Set<string>();
    list?.forEach((t, i) => {
      if (seen.has(t.name)) problems.push(`${field}.${i}.name: duplicate tenant '${t.name}'`);
      seen.add(t.name);
    });
  };
  if (scn.workload.kind === 'synthetic') tenants('workload.tenants', scn.workload.tenants);
  tenants('tenants', scn.tenants);
  return problems;
}

/** `line L, column C` of the first alias that resolves to no anchor, if any. */
function aliasPosition(doc: Document, text: string): string | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (offset === undefined && node.resolve(doc) === undefined && node.range) offset = node.range[0];
    },
  });
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/** Scenario files are small; a larger one is not a scenario (and /dev/zero never ends). */
const MAX_SCENARIO_BYTES = 16 * 2 ** 20;

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new ScenarioError(file, ['cannot read: is a directory, not a scenario file']);
    if (!st.isFile()) throw new ScenarioError(file, ['cannot read: not a regular file']);
    if (st.size > MAX_SCENARIO_BYTES) throw new ScenarioError(file, [`cannot read: ${st.size} bytes; a scenario file is at most ${MAX_SCENARIO_BYTES} bytes`]);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(file, [`cannot read: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`]);
  }
  const scn = parseScenario(text, file);
  // Plugins are imported later, relative to the scenario's folder: a missing one is named here.
  const missing = scn.plugins.flatMap((p, i) => (existsSync(resolve(dirname(file), p)) ? [] : [`plugins.${i}: no such file '${p}' (relative to the scenario's folder)`]));
  if (missing.length > 0) throw new ScenarioError(file, missing);
  return scn;
}
