import fc from 'fast-check';
import type { JobSpec } from '../../jobs/job.ts';
import { backloggedArb } from '../arbitraries.ts';
import { runSim } from '../sim-run.ts';
import { check, type PropertyDef } from '../subject.ts';

/** Applies to queue policies that declare `claims: { fairShare: true }`. */
export const fairShareProperties: readonly PropertyDef[] = [
  {
    name: 'fair-share',
    description: 'backlogged equal-weight tenants: attained GPU time within (job duration × GPU count) of the mean, half-way through',
    applies: (s) => s.queue.claims?.fairShare === true,
    property: (s) =>
      fc.property(backloggedArb, (b) => {
        const jobs: JobSpec[] = [];
        // Tenant t0 submits first, then t1 …: FIFO would serve them one after the other.
        for (let t = 0; t < b.tenants; t++) {
          for (let i = 0; i < b.jobsPerTenant; i++) {
            jobs.push({ id: `t${t}-${i}`, tenant: `t${t}`, submit: 0, duration: b.duration, cpu: 0, memory: 0, gpus: 1, milli: 1000, priority: 0, estimate: b.duration });
          }
        }
        const nodes = [{ id: 'n0', cpu: 1000, memory: 1024, gpus: Array.from({ length: b.gpus }, () => ({ model: 'A100', capacity: 1000 })) }];
        // Stop while every tenant is still backlogged: half of the total work's makespan.
        const until = Math.floor((b.tenants * b.jobsPerTenant * b.duration) / b.gpus / 2);
        const { res } = runSim(s, { nodes, jobs, seed: b.seed, headOfLine: 'skip' }, until);
        const got = res.core.schedulerView.tenants.map((t) => t.attainedGpu);
        const mean = got.reduce((x, y) => x + y, 0) / got.length;
        // Tolerance: one job's GPU time per GPU of the node (granularity of whole jobs).
        const tol = b.duration * 1000 * b.gpus;
        check(got.every((g) => Math.abs(g - mean) <= tol), () => `attained GPU·ms ${got.join(', ')} (mean ${mean}, tolerance ${tol})`);
      }),
  },
];
