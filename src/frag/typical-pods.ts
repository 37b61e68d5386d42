/**
 * The FGD study's "typical pods": the distinct request shapes (cpu_milli, gpu_milli, num_gpu,
 * gpu_type) of a pod list, CPU-only pods included, taken by popularity until they cover a share
 * (95%) of all pods, with frequencies renormalised to sum to 1.
 *
 * Follows the study's simulator (typical-pods config: CPU pods involved, popularity threshold 95,
 * increase step 1, no GPU-resource weighting): shapes are sorted by count, descending; equal counts
 * put the larger shape first (cpu, then gpu_milli, then num_gpu, then gpu_type as text). Shapes are
 * added while the covered count is below 95% of the pods. Memory is not part of a shape. Pure.
 */

export interface ShapeSource {
  readonly cpu: number;
  readonly gpus: number;
  /** Milli-GPU per GPU (0 for CPU-only). */
  readonly milli: number;
  /** The raw `|`-separated gpu_spec ('' = any model). */
  readonly spec: string;
}

export interface TypicalPod {
  readonly cpu: number;
  readonly gpus: number;
  readonly milli: number;
  readonly spec: string;
  /** Allowed models parsed from `spec`; undefined = any. */
  readonly models: readonly string[] | undefined;
  /** Probability of this shape, 0..1; the list sums to 1. */
  readonly freq: number;
  /** Pods of this shape in the source list. */
  readonly count: number;
}

export function typicalPods(pods: readonly ShapeSource[], coverage = 0.95): TypicalPod[] {
  if (pods.length === 0) return [];
  const counts = new Map<string, { s: ShapeSource; n: number }>();
  for (const p of pods) {
    const key = `${p.cpu}|${p.milli}|${p.gpus}|${p.spec}`;
    const e = counts.get(key);
    if (e) e.n++;
    else counts.set(key, { s: p, n: 1 });
  }
  const list = [...counts.values()].sort(
    (a, b) =>
      b.n - a.n ||
      b.s.cpu - a.s.cpu ||
      b.s.milli - a.s.milli ||
      b.s.gpus - a.s.gpus ||
      (a.s.spec < b.s.spec ? 1 : a.s.spec > b.s.spec ? -1 : 0),
  );
  const want = coverage * pods.length;
  const chosen: { s: ShapeSource; n: number }[] = [];
  let covered = 0;
  for (const e of list) {
    if (covered >= want) break;
    chosen.push(e);
    covered += e.n;
  }
  return chosen.map(({ s, n }) => {
    const models = s.spec === '' ? undefined : [...new Set(s.spec.split('|').filter(Boolean))];
    return {
      cpu: s.cpu,
      gpus: s.gpus,
      milli: s.gpus === 0 ? 0 : s.milli,
      spec: s.spec,
      models: models && models.length > 0 ? models : undefined,
      freq: n / covered,
      count: n,
    };
  });
}
