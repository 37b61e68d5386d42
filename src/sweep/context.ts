import { dirname, resolve } from 'node:path';
import type { NodeSpec } from '../cluster/types.ts';
import { runFill, type FillRun, type FillWorkload, loadFillWorkload } from '../fgd/experiment.ts';
import { loadNodes, prepareScenario, type PreparedScenario } from '../scenario/prepare.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import { planSweep, type SweepPlan, type SweepTask } from './plan.ts';
import { runSimTask, type RunSummary } from './sim-task.ts';

/** A finished task: a simulated run's summary or a static fill's curve. */
export type TaskResult = { kind: 'simulation'; run: RunSummary } | { kind: 'static-fill'; fill: FillRun };

/** What a sweep is run from; plain data, so it can be handed to a worker thread as is. */
export interface SweepSpec {
  readonly scn: Scenario;
  /** The scenario file (relative paths in it resolve against its folder). */
  readonly file: string;
  readonly seeds: readonly number[];
  /** Where runs write their files (the staging directory); undefined = write nothing. */
  readonly dir: string | undefined;
  /** Write each run's files gzipped (events.jsonl.gz, jobs.csv.gz, timeline.csv.gz). */
  readonly gzip?: boolean;
}

/**
 * Runs tasks of one sweep in this thread (the serial path, and the body of each worker): loads
 * the nodes once, and each workload (a trace's jobs, a pod list) the first time a task needs it.
 * Plugins and policy parameters must have been loaded and checked before (src/scenario/run.ts).
 */
export class SweepContext {
  readonly plan: SweepPlan;
  private nodes: Promise<NodeSpec[]> | undefined;
  private readonly prepared = new Map<number, Promise<PreparedScenario>>();
  private readonly fills = new Map<number, Promise<FillWorkload>>();
  private readonly base: string;

  constructor(
    readonly spec: SweepSpec,
    private readonly say: (line: string) => void,
    private readonly guard?: PolicyGuard,
    nodes?: NodeSpec[],
  ) {
    this.plan = planSweep(spec.scn, spec.seeds);
    this.base = dirname(resolve(spec.file));
    if (nodes) this.nodes = Promise.resolve(nodes);
  }

  private loadNodes(): Promise<NodeSpec[]> {
    return (this.nodes ??= loadNodes(this.spec.scn, this.base));
  }

  async run(task: SweepTask): Promise<TaskResult> {
    const { scn, file, dir, gzip } = this.spec;
    const nodes = await this.loadNodes();
    if (this.plan.kind === 'static-fill') {
      const w = scn.workload as Extract<Scenario['workload'], { kind: 'static-fill' }>;
      let wl = this.fills.get(task.workload);
      if (!wl) this.fills.set(task.workload, (wl = loadFillWorkload(w, this.plan.workloads[task.workload].path!, this.base, this.say)));
      const c = scn.policies[task.combo];
      return { kind: 'static-fill', fill: runFill(nodes, await wl, { label: task.label, placement: c.placement, seed: task.seed }, w.tune, w.nodeOrder) };
    }
    let prep = this.prepared.get(task.workload);
    if (!prep) this.prepared.set(task.workload, (prep = prepareScenario(scn, nodes, file, this.base, this.say)));
    const run = runSimTask({ prep: await prep, nodes, combo: scn.policies[task.combo], label: task.label, seed: task.seed, dir, gzip, guard: this.guard, say: this.say });
    return { kind: 'simulation', run };
  }
}
