import { comboLabel } from '../scenario/prepare.ts';
import { podListName, type Scenario } from '../scenario/schema.ts';

/**
 * A scenario's sweep as a list of tasks: every workload × policy combination × seed is one run,
 * numbered in the order its outputs are written. The plan is a pure function of the scenario and
 * the seeds, so the main thread, every worker and every shard compute the same numbering and a
 * task travels as its index alone.
 *
 * Order (= output order, as before workers): a simulation runs seed-major (for each seed, every
 * combination), a static fill per pod list, per policy, per seed (fgd-curve.csv's row order).
 */

export interface SweepTask {
  /** Position in the plan (and in every output listing). */
  readonly i: number;
  /** Index into `SweepPlan.workloads`. */
  readonly workload: number;
  /** Index into the scenario's `policies`. */
  readonly combo: number;
  readonly seed: number;
  /** The combination's label (directory name in outputs). */
  readonly label: string;
  /** How messages name the run: `<label>/seed-<N>`, with ` on <workload>` when there are several. */
  readonly name: string;
}

export interface SweepWorkload {
  /** Name in outputs (a static fill's pod list name, fgd-curve.csv's `workload`). */
  readonly name: string;
  /** The trace or pod list path as the scenario gives it; undefined for a synthetic workload. */
  readonly path: string | undefined;
}

export interface SweepPlan {
  readonly kind: 'simulation' | 'static-fill';
  readonly workloads: readonly SweepWorkload[];
  readonly seeds: readonly number[];
  readonly tasks: readonly SweepTask[];
}

export function planSweep(scn: Scenario, seeds: readonly number[]): SweepPlan {
  const w = scn.workload;
  const tasks: SweepTask[] = [];
  if (w.kind === 'static-fill') {
    const paths = w.paths ?? [w.path!];
    const workloads = paths.map((p) => ({ name: podListName(p), path: p }));
    const several = workloads.length > 1;
    workloads.forEach((wl, k) =>
      scn.policies.forEach((c, combo) => {
        const label = c.label ?? c.placement;
        for (const seed of seeds) {
          tasks.push({ i: tasks.length, workload: k, combo, seed, label, name: `${label}/seed-${seed}${several ? ` on ${wl.name}` : ''}` });
        }
      }),
    );
    return { kind: 'static-fill', workloads, seeds, tasks };
  }
  const workloads = [{ name: w.kind === 'trace' ? w.path : 'synthetic', path: w.kind === 'trace' ? w.path : undefined }];
  for (const seed of seeds) {
    scn.policies.forEach((c, combo) => {
      const label = comboLabel(c);
      tasks.push({ i: tasks.length, workload: 0, combo, seed, label, name: `${label}/seed-${seed}` });
    });
  }
  return { kind: 'simulation', workloads, seeds, tasks };
}
