import type { JobRow } from '../../src/output/derive.ts';

/** One job as the run model keeps it: the Deriver's row plus what the views need beside it. */
export interface JobInfo {
  /**
   * The Deriver's row: id, tenant, submit, first start and end (-1 when none yet), state, node,
   * GPU list, attempts, preemptions, lost work, reason. Updated in place as records fold.
   */
  readonly row: JobRow;
  /** Index into `RunModel.tenants` (the tenant's colour). */
  readonly tenantIx: number;
  /** Demand from the arrival record: GPUs, milli-CPU, MiB; priority; nominal duration (ms). */
  readonly gpus: number;
  readonly cpu: number;
  readonly mem: number;
  readonly prio: number;
  readonly dur: number;
  /** A child job (arrival record's `parent`, `depth`): its parent's id and its depth; '' and 0 for a top-level job. */
  readonly parent: string;
  readonly depth: number;
  /** Fields of the last start record that the tooltip shows as they are (gang parts …). */
  extra: string;
}
