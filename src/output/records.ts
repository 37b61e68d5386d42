import type { NodeSpec } from '../cluster/types.ts';
import type { JobState } from '../jobs/lifecycle.ts';

/**
 * The event log: one record per line of `events.jsonl`, the single source of truth for every
 * other output of a run (jobs.csv, timeline.csv, metrics, the visualization). Simulated and
 * live runs write the same records. `t` is integer ms.
 */
export type LogRecord =
  | {
      t: number;
      ev: 'run';
      run: string;
      mode: 'sim' | 'live';
      seed: number;
      queue: string;
      placement: string;
      nodes: readonly NodeSpec[];
    }
  | {
      t: number;
      ev: 'arrival';
      job: string;
      tenant: string;
      cpu: number;
      mem: number;
      gpus: number;
      milli: number;
      models?: readonly string[];
      prio: number;
      dur: number;
      /** Requested MIG profile, when any. */
      mig?: string;
    }
  | { t: number; ev: 'admit'; job: string }
  | { t: number; ev: 'reject'; job: string; reason: string }
  | {
      t: number;
      ev: 'start';
      job: string;
      node: string;
      gpus: readonly number[];
      milli: number;
      attempt: number;
      /** A gang spanning nodes: the parts beyond `node`/`gpus`. */
      parts?: readonly { node: string; gpus: readonly number[] }[];
      /** The MIG instance granted (profile, start slot); `milli` is then its slots × 125. */
      mig?: { profile: string; start: number };
    }
  /** A running job was preempted: `lost` ms of run time gave no kept progress; `left` ms to run on restart. */
  | { t: number; ev: 'preempt'; job: string; reason: string; lost: number; left: number }
  /** A preempted job is back in the queue. */
  | { t: number; ev: 'requeue'; job: string }
  | { t: number; ev: 'finish'; job: string; state: JobState; reason?: string }
  | { t: number; ev: 'cancel'; job: string }
  /** A node failed; `jobs`: the running jobs with any part on it, each then logged as `node-loss`. */
  | { t: number; ev: 'node-down'; node: string; jobs: readonly string[] }
  /**
   * A running job was stopped because `node` went down: `lost` ms of run time gave no kept
   * progress. Followed by `requeue` (then `left` ms to run on restart) or by a `finish` with state
   * failed and reason node-loss (no `left`; the whole attempt is lost).
   */
  | { t: number; ev: 'node-loss'; job: string; node: string; lost: number; left?: number }
  /** A failed node is back and takes placements again. */
  | { t: number; ev: 'node-up'; node: string }
  | { t: number; ev: 'end'; events: number };

/** Where the scheduler core writes its records. */
export interface EventLog {
  append(record: LogRecord): void;
}
