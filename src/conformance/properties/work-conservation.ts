import fc from 'fast-check';
import { fits } from '../../cluster/fit.ts';
import { scenarioArb } from '../regimes.ts';
import { replay } from '../replay.ts';
import { runSim, waitingAt } from '../sim-run.ts';
import { check, type PropertyDef } from '../subject.ts';

/**
 * Applies to queue policies that declare `claims: { workConserving: true }` (and to every
 * placement policy checked with fifo, which claims it: a placement policy that answers `unfit`
 * while a node fits breaks it too).
 */
export const workConservationProperties: readonly PropertyDef[] = [
  {
    name: 'work-conserving',
    description: 'with headOfLine skip, no queued job that fits on some node waits at the end of an instant (unless its placement asked it to wait, until then)',
    applies: (s) => s.queue.claims?.workConserving === true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        // Quotas, EASY backfill and MIG reconfiguration hold jobs or GPUs back on purpose
        // (documented; a reconfiguring GPU is not in the log): checked without them.
        const { quotas: _q, backfill: _b, migReconfigMs: _m, ...scheduler } = sc.scheduler ?? {};
        const run = runSim(s, { ...sc, headOfLine: 'skip', scheduler });
        replay(sc.nodes, run.recs, {
          atInstantEnd: (cluster, queued, t) => {
            for (const [id, d] of queued) {
              // A placement's `wait` (affinity-wait: a warm slot may free) holds the job until its
              // `until` on purpose; once that has passed, the job must start if it fits.
              if (waitingAt(run, id, t)) continue;
              const n = cluster.nodes.find((nd) => fits(nd, d));
              check(n === undefined, () => `t=${t}: queued job ${id} fits on idle capacity of ${n!.id}`);
            }
          },
        });
      }),
  },
];
