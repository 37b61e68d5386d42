import fc from 'fast-check';
import { Cluster, partsOf } from '../../cluster/cluster.ts';
import { fits } from '../../cluster/fit.ts';
import { stream } from '../../engine/rng.ts';
import { newJob } from '../../jobs/job.ts';
import type { LogRecord } from '../../log/records.ts';
import { placementCaseArb } from '../arbitraries.ts';
import { scenarioArb } from '../regimes.ts';
import { runSim } from '../sim-run.ts';
import { check, type PropertyDef } from '../subject.ts';

type Start = Extract<LogRecord, { ev: 'start' }>;

/** Node ids a start record places the job on (all parts of a gang). */
function nodesOf(r: Start): string[] {
  return [r.node, ...(r.parts ?? []).map((p) => p.node)];
}

export const nodeLossProperties: readonly PropertyDef[] = [
  {
    name: 'no-run-on-down-node',
    description: 'no job starts on a down node; a node-down stops exactly the jobs on it, each then requeued or failed (node-loss)',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const { recs } = runSim(s, sc);
        const down = new Set<string>();
        /** Running job → the nodes it holds. */
        const on = new Map<string, string[]>();
        for (let i = 0; i < recs.length; i++) {
          const r = recs[i];
          if (r.ev === 'start') {
            const ns = nodesOf(r);
            const bad = ns.find((n) => down.has(n));
            check(bad === undefined, () => `t=${r.t}: job ${r.job} started on ${bad}, which is down`);
            on.set(r.job, ns);
          } else if (r.ev === 'preempt' || r.ev === 'finish') {
            on.delete(r.job);
          } else if (r.ev === 'node-down') {
            check(!down.has(r.node), () => `t=${r.t}: node-down of ${r.node}, which is already down`);
            const expected = [...on].filter(([, ns]) => ns.includes(r.node)).map(([j]) => j).sort();
            check(
              [...r.jobs].sort().join(',') === expected.join(','),
              () => `t=${r.t}: node-down of ${r.node} lists [${r.jobs.join(', ')}], jobs on it: [${expected.join(', ')}]`,
            );
            // Each listed job: node-loss, then requeue or finish failed (node-loss), at this instant.
            let k = i + 1;
            for (const j of r.jobs) {
              const loss = recs[k];
              check(loss?.ev === 'node-loss' && loss.job === j && loss.node === r.node && loss.t === r.t, () => `t=${r.t}: expected node-loss of ${j} after node-down of ${r.node}, got ${JSON.stringify(loss)}`);
              const then = recs[k + 1];
              const ok =
                (then?.ev === 'requeue' && then.job === j && sc.failures?.onNodeLoss !== 'fail') ||
                (then?.ev === 'finish' && then.job === j && then.state === 'failed' && then.reason === 'node-loss' && sc.failures?.onNodeLoss === 'fail');
              check(ok, () => `t=${r.t}: after the node-loss of ${j}: ${JSON.stringify(then)} (onNodeLoss ${sc.failures?.onNodeLoss})`);
              on.delete(j);
              k += 2;
            }
            down.add(r.node);
          } else if (r.ev === 'node-up') {
            check(down.has(r.node), () => `t=${r.t}: node-up of ${r.node}, which is not down`);
            down.delete(r.node);
          } else if (r.ev === 'node-loss') {
            check(!on.has(r.job), () => `t=${r.t}: node-loss of ${r.job} without a node-down listing it`);
          }
        }
      }),
  },
  {
    name: 'placement-skips-down-nodes',
    description: 'placement never chooses a down node; unfit means no up node fits',
    applies: (s) => s.focus === 'placement',
    property: (s) =>
      fc.property(placementCaseArb, fc.array(fc.boolean(), { maxLength: 12 }), ({ nodes, jobs, seed }, mask) => {
        // Some nodes down (mask[i]), then fill the cluster job by job with the policy.
        const cluster = new Cluster(nodes);
        nodes.forEach((_, i) => mask[i] && cluster.setUp(i, false));
        const rng = stream(seed, `placement/${s.placement.name}`);
        for (const spec of jobs) {
          const j = newJob(spec);
          j.state = 'queued';
          const out = s.placement.place(j, cluster, { now: 0, rng });
          if (out.kind === 'placed') {
            const bad = partsOf(out.placement).find((p) => !cluster.nodes[p.node]?.up);
            check(bad === undefined, () => `job ${j.id} placed on ${cluster.nodes[bad!.node].id}, which is down`);
            cluster.allocate(j.id, j, out.placement);
          } else {
            const n = cluster.nodes.find((nd) => fits(nd, j));
            check(n === undefined, () => `job ${j.id} declared unfit (${out.reason}) but fits on ${n!.id}, which is up`);
          }
        }
      }),
  },
];
