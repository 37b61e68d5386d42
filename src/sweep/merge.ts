import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeStaged } from '../output/out-dir.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { TaskResult } from './context.ts';
import { writeSweepOutputs } from './outputs.ts';
import { readPart, type Part } from './part.ts';
import { planSweep } from './plan.ts';

/**
 * Combines the parts of a sweep (each `npm run sim -- … --shard i/n` output, or a sweep whose
 * failed runs were rerun elsewhere) into exactly what one unsharded run writes: every run's own
 * files copied into place, then summary.json (and a static fill's fgd-curve.csv) from the results
 * in plan order, through the same writer a single run uses. The parts must come from the same
 * scenario and seeds (their key), and together hold every run once; a run in two parts is kept
 * only if both hold the same result. Written into a staged directory that replaces `out` only
 * when complete (src/output/out-dir.ts).
 */

export class MergeError extends Error {
  override name = 'MergeError';
}

export interface MergeReport {
  readonly scenario: string;
  readonly parts: number;
  readonly runs: number;
}

export async function mergeParts(dirs: readonly string[], out: string): Promise<MergeReport> {
  if (dirs.length === 0) throw new MergeError('no part directories given');
  const parts = dirs.map((d) => ({ dir: d, part: readPart(d) }));
  const first = parts[0];
  for (const p of parts.slice(1)) {
    if (p.part.key !== first.part.key) {
      throw new MergeError(`${p.dir} is a part of another sweep than ${first.dir} (scenario '${p.part.scenario}' vs '${first.part.scenario}', or other settings or seeds)`);
    }
  }
  const scn = first.part.scn as unknown as Scenario;
  const seeds = first.part.seeds;
  const plan = planSweep(scn, seeds);
  if (plan.tasks.length !== first.part.tasks) throw new MergeError(`${first.dir}: the part says ${first.part.tasks} runs, its scenario plans ${plan.tasks.length}`);
  const owner: (number | undefined)[] = new Array(plan.tasks.length).fill(undefined);
  const results: (TaskResult | undefined)[] = new Array(plan.tasks.length).fill(undefined);
  parts.forEach(({ dir, part }, k) => {
    for (const { i, result } of part.results as unknown as { i: number; result: TaskResult }[]) {
      if (i >= plan.tasks.length) throw new MergeError(`${dir}: run index ${i} is outside the plan (${plan.tasks.length} runs)`);
      const j = owner[i];
      if (j !== undefined) {
        if (JSON.stringify(stable(results[i]!)) !== JSON.stringify(stable(result))) {
          throw new MergeError(`${plan.tasks[i].name} is in ${parts[j].dir} and ${dir} with different results`);
        }
        continue;
      }
      owner[i] = k;
      results[i] = result;
    }
  });
  const missing = plan.tasks.filter((t) => results[t.i] === undefined);
  if (missing.length > 0) {
    const shards = [...new Set(parts.map((p) => p.part.shard?.count))];
    const hint = shards.length === 1 && shards[0] !== undefined ? `; shards present: ${parts.map((p) => `${p.part.shard!.index}/${p.part.shard!.count}`).join(', ')}` : '';
    const names = missing.slice(0, 8).map((t) => t.name).join(', ');
    throw new MergeError(`${missing.length} of ${plan.tasks.length} runs are in no part (${names}${missing.length > 8 ? ', …' : ''})${hint}`);
  }
  await writeStaged(out, async (dir) => {
    if (plan.kind === 'simulation') {
      for (const t of plan.tasks) {
        const from = join(parts[owner[t.i]!].dir, t.label, `seed-${t.seed}`);
        if (!existsSync(from)) throw new MergeError(`${parts[owner[t.i]!].dir}: ${t.name}'s files (${from}) are missing`);
        cpSync(from, join(dir, t.label, `seed-${t.seed}`), { recursive: true });
      }
    }
    writeSweepOutputs(dir, { scn, output: out, seeds, nodes: first.part.nodes, results: results as TaskResult[] });
  });
  return { scenario: scn.name, parts: parts.length, runs: plan.tasks.length };
}

/** A result without its wall time (which differs between machines and is in no output file). */
function stable(r: TaskResult): unknown {
  if (r.kind === 'simulation') {
    const { wallMs: _w, ...run } = r.run;
    return run;
  }
  const { wallMs: _w, ...fill } = r.fill;
  return fill;
}

export type { Part };
