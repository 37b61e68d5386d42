import type { JobView } from './job.ts';

/** The scenario-supplied estimate of a job's run time (ms): `estimate`, else `duration`. Pure. */
export function estimateOf(j: JobView): number {
  return j.estimate ?? j.duration;
}

/**
 * Expected end of a running job (ms): start + this attempt's run time scaled by estimate /
 * duration (exact when the estimate is exact; the simulator knows `remaining`, a real scheduler
 * only the estimate). Pure.
 */
export function expectedEnd(j: JobView): number {
  const est = estimateOf(j);
  return j.start + (j.duration > 0 ? Math.round((j.remaining * est) / j.duration) : j.remaining);
}

/** Milli-GPU a job holds (running: its placement's grants) or asks for (`gpus × milli`). Pure. */
export function heldMilli(j: Pick<JobView, 'gpus' | 'milli' | 'placement'>): number {
  const p = j.placement;
  if (!p) return j.gpus * j.milli;
  let m = 0;
  for (const g of p.gpus) m += g.milli;
  for (const part of p.parts ?? []) for (const g of part.gpus) m += g.milli;
  return m;
}
