import fc from 'fast-check';
import { Cluster } from '../../cluster/cluster.ts';
import { fits } from '../../cluster/fit.ts';
import { stream } from '../../engine/rng.ts';
import { newJob } from '../../jobs/job.ts';
import { placementCaseArb } from '../arbitraries.ts';
import { check, type PropertyDef } from '../subject.ts';

export const placementProperties: readonly PropertyDef[] = [
  {
    name: 'placement-valid',
    description: 'placements respect capacity, GPU count, milli and model; unfit means no node fits',
    applies: (s) => s.focus === 'placement',
    property: (s) =>
      fc.property(placementCaseArb, ({ nodes, jobs, seed }) => {
        // Fill a cluster job by job with the policy itself, checking every answer.
        const cluster = new Cluster(nodes);
        const rng = stream(seed, `placement/${s.placement.name}`);
        for (const spec of jobs) {
          const j = newJob(spec);
          j.state = 'queued';
          const out = s.placement.place(j, cluster, { now: 0, rng });
          if (out.kind === 'placed') {
            cluster.allocate(j.id, j, out.placement); // throws AllocationError on any invalid grant
          } else {
            const n = cluster.nodes.find((nd) => fits(nd, j));
            check(n === undefined, () => `job ${j.id} declared unfit (${out.reason}) but fits on ${n!.id}`);
          }
        }
      }),
  },
];
