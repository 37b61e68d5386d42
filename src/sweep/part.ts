import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { FillNodesMeta } from '../fgd/scenario.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { TaskResult } from './context.ts';
import type { SweepFailure } from './sweep.ts';

/**
 * `sweep-part.json`: what one shard of a sweep ran (or what a sweep with failed runs finished),
 * with everything `npm run merge` needs to write the whole sweep's outputs: the parsed scenario
 * and seeds, their key (sha256 of their canonical JSON, RFC 8785: parts of different sweeps are
 * never merged), the cluster facts, and each finished run's result at its plan index. A
 * simulation's runs keep their own files beside it (`<label>/seed-<N>/`).
 */

export const PART_FILE = 'sweep-part.json';
export const PART_FORMAT = 'gpulab-sweep-part/1';

export const PartSchema = z.object({
  format: z.literal(PART_FORMAT),
  scenario: z.string(),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  scn: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()),
  nodes: z.object({ nodes: z.number().int(), gpus: z.number().int(), gpuCapacityMilli: z.number() }),
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).nullable(),
  tasks: z.number().int().nonnegative(),
  failed: z.array(z.object({ i: z.number().int().nonnegative(), run: z.string(), message: z.string() })),
  results: z.array(z.object({ i: z.number().int().nonnegative(), result: z.object({ kind: z.enum(['simulation', 'static-fill']) }).passthrough() })),
});
export type Part = z.infer<typeof PartSchema>;

export async function sweepKey(scn: Scenario, seeds: readonly number[]): Promise<string> {
  // Imported here, not at the top: canonicalize is ESM-only, and this module is reachable from
  // the public entry point, which a user's policy file may load as CommonJS.
  const { default: canonicalize } = await import('canonicalize');
  return createHash('sha256').update(canonicalize({ scn, seeds }) ?? '').digest('hex');
}

export async function writePart(dir: string, p: { scn: Scenario; seeds: readonly number[]; nodes: FillNodesMeta; shard: { index: number; count: number } | undefined; tasks: number; results: readonly (TaskResult | undefined)[]; failures: readonly SweepFailure[] }): Promise<void> {
  const part: Part = {
    format: PART_FORMAT,
    scenario: p.scn.name,
    key: await sweepKey(p.scn, p.seeds),
    scn: p.scn as unknown as Record<string, unknown>,
    seeds: [...p.seeds],
    nodes: { ...p.nodes },
    shard: p.shard ? { ...p.shard } : null,
    tasks: p.tasks,
    failed: p.failures.map((f) => ({ i: f.task.i, run: f.task.name, message: f.message })),
    results: p.results.flatMap((result, i) => (result ? [{ i, result }] : [])),
  };
  writeFileSync(join(dir, PART_FILE), JSON.stringify(part) + '\n');
}

/** Reads and checks a part directory's sweep-part.json; errors name the file and the field. */
export function readPart(dir: string): Part {
  const file = join(dir, PART_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is ${dir} the output of a sharded run (npm run sim -- … --shard i/n)?`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  const r = PartSchema.safeParse(data);
  if (!r.success) throw new Error(`${file}: not a sweep part\n${r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`);
  return r.data;
}
