import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { AllocationError, Cluster } from '../src/cluster/cluster.ts';
import { capacityFor, fragmentedSlots, slotMask, validLayout } from '../src/cluster/mig-layout.ts';
import { MIG_MODELS, migProfile } from '../src/cluster/mig-profiles.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { migBestFit } from '../policies/placement/mig-best-fit.ts';
import { firstFit } from '../policies/placement/first-fit.ts';
import { RngStreams } from '../src/engine/rng.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import type { PlacementPolicy } from '../src/scheduler/policy.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';

const migNode = (id: string, model: string, gpus = 1): NodeSpec => ({
  id,
  cpu: 64000,
  memory: 262144,
  gpus: Array.from({ length: gpus }, () => ({ model, capacity: 1000, mig: true })),
});
const migJob = (id: string, profile: string, at = 0, dur = 1000, models?: string[]): JobSpec => ({
  id,
  tenant: 't',
  submit: at,
  duration: dur,
  priority: 0,
  cpu: 1000,
  memory: 1024,
  gpus: 1,
  milli: 125,
  mig: profile,
  ...(models ? { models } : {}),
});
const ctx = { now: 0, rng: new RngStreams(1).get('p') };
const place = (p: PlacementPolicy, j: JobSpec, c: Cluster) => p.place({ ...j, state: 'queued' } as never, c, ctx);

describe('MIG profile tables (NVIDIA MIG user guide)', () => {
  it.each([
    // model, profile, max instances on an empty GPU (the guide's "Number of Instances Available")
    ['A100-40GB', '1g.5gb', 7],
    ['A100-40GB', '1g.10gb', 4],
    ['A100-40GB', '2g.10gb', 3],
    ['A100-40GB', '3g.20gb', 2],
    ['A100-40GB', '4g.20gb', 1],
    ['A100-40GB', '7g.40gb', 1],
    ['A100-80GB', '1g.10gb', 7],
    ['A100-80GB', '3g.40gb', 2],
    ['H100-80GB', '1g.10gb', 7],
    ['H100-80GB', '1g.20gb', 4],
    ['H100-80GB', '2g.20gb', 3],
    ['H100-80GB', '3g.40gb', 2],
    ['H100-80GB', '4g.40gb', 1],
    ['H100-80GB', '7g.80gb', 1],
  ])('%s %s: %i instances', (model, profile, n) => {
    expect(capacityFor(migProfile(model, profile)!, 0)).toBe(n);
  });

  it.each([
    // valid mixes from the guide's diagrams (compute slices ≤ 7, memory slices ≤ 8)
    [[['4g.40gb', 0], ['3g.40gb', 4]], true],
    [[['3g.40gb', 0], ['2g.20gb', 4], ['1g.10gb', 6]], true],
    [[['2g.20gb', 0], ['2g.20gb', 2], ['2g.20gb', 4], ['1g.10gb', 6]], true],
    [[['7g.80gb', 0]], true],
    // invalid: overlapping slices, starts NVIDIA does not allow, profile from another model
    [[['4g.40gb', 0], ['1g.10gb', 3]], false],
    [[['3g.40gb', 2]], false],
    [[['1g.10gb', 7]], false],
    [[['2g.20gb', 6]], false],
    [[['1g.5gb', 0]], false],
  ] as const)('H100-80GB layout %j valid: %s', (layout, ok) => {
    expect(validLayout('H100-80GB', layout.map(([profile, start]) => ({ profile, start })))).toBe(ok);
  });

  it('fragmentation counts free slices the typical request cannot use', () => {
    // 3g.40gb with slots 2 and 5 busy: free 6 slots, both 3g starts (0, 4) blocked → 6 fragmented
    expect(fragmentedSlots(migProfile('H100-80GB', '3g.40gb')!, slotMask(2, 1) | slotMask(5, 1))).toBe(6);
    // 1g.10gb on an empty GPU: 7 instances use slots 0–6, slot 7 is unusable → 1
    expect(fragmentedSlots(migProfile('H100-80GB', '1g.10gb')!, 0)).toBe(1);
  });
});

describe('MIG in the cluster model', () => {
  it('refuses grants NVIDIA does not allow, and MIG/whole-GPU mix-ups', () => {
    const c = new Cluster([migNode('m', 'H100-80GB'), { id: 'w', cpu: 64000, memory: 262144, gpus: [{ model: 'H100-80GB', capacity: 1000 }] }]);
    const j = migJob('a', '3g.40gb');
    expect(() => c.allocate('a', j, { node: 0, gpus: [{ gpu: 0, milli: 500, mig: { profile: '3g.40gb', start: 2 } }] })).toThrow(/cannot start at slot 2/);
    expect(() => c.allocate('a', j, { node: 0, gpus: [{ gpu: 0, milli: 375, mig: { profile: '3g.40gb', start: 0 } }] })).toThrow(/expected 500/);
    expect(() => c.allocate('a', j, { node: 1, gpus: [{ gpu: 0, milli: 500, mig: { profile: '3g.40gb', start: 0 } }] })).toThrow(AllocationError);
    const whole = { ...j, mig: undefined, milli: 1000 };
    expect(() => c.allocate('w', whole, { node: 0, gpus: [{ gpu: 0, milli: 1000 }] })).toThrow(/requests no MIG profile/);
    c.allocate('a', j, { node: 0, gpus: [{ gpu: 0, milli: 500, mig: { profile: '3g.40gb', start: 4 } }] });
    // 4g.40gb at 0 (slots 0–3) fits beside 3g at 4; another 3g at 4 overlaps
    expect(() => c.allocate('b', migJob('b', '3g.40gb'), { node: 0, gpus: [{ gpu: 0, milli: 500, mig: { profile: '3g.40gb', start: 4 } }] })).toThrow(/overlaps/);
    const r = c.allocate('c', migJob('c', '4g.40gb'), { node: 0, gpus: [{ gpu: 0, milli: 500, mig: { profile: '4g.40gb', start: 0 } }] });
    expect(r.reconfigured).toEqual([{ node: 0, gpu: 0 }]);
    expect(c.gpuAllocated).toBe(1000);
    c.release('a');
    // the released 3g@4 stays configured: a new 3g@4 reuses it without reconfiguration
    expect(c.allocate('d', migJob('d', '3g.40gb'), { node: 0, gpus: [{ gpu: 0, milli: 500, mig: { profile: '3g.40gb', start: 4 } }] }).reconfigured).toEqual([]);
  });

  it('layouts stay valid under any sequence of placements and releases (both placements)', () => {
    const profiles = MIG_MODELS['H100-80GB'].profiles.map((p) => p.name);
    const ops = fc.array(fc.record({ place: fc.boolean(), profile: fc.constantFrom(...profiles), pick: fc.nat() }), { maxLength: 60 });
    fc.assert(
      fc.property(ops, fc.constantFrom(migBestFit, firstFit), (seq, policy) => {
        const c = new Cluster([migNode('m0', 'H100-80GB', 2), migNode('m1', 'A100-80GB', 1)]);
        const live: string[] = [];
        seq.forEach((op, i) => {
          if (op.place || live.length === 0) {
            const j = migJob(`j${i}`, op.profile);
            const out = place(policy, j, c);
            if (out.kind === 'placed') {
              c.allocate(j.id, j, out.placement);
              live.push(j.id);
            }
          } else {
            c.release(live.splice(op.pick % live.length, 1)[0]);
          }
          for (const n of c.nodes) {
            for (const g of n.gpus) {
              const inUse = g.mig!.instances.filter((x) => x.job !== undefined);
              expect(validLayout(g.model, g.mig!.instances)).toBe(true);
              expect(g.free).toBe(1000 - inUse.reduce((a, x) => a + x.size * 125, 0));
            }
          }
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe('mig-best-fit', () => {
  it('keeps the larger hole: 2g.20gb next to 1g.10gb@0 goes to start 2, not 4', () => {
    // busy {0}: start 2 → busy {0,2,3}, 3g@4 still fits (largest 4 slots); start 4 → busy {0,4,5},
    // largest is a 2g (2 slots). Both waste 3 slots for another 2g. First fit would also pick 2;
    // for 1g.10gb on a GPU holding 3g@4, best fit packs it there instead of an empty GPU.
    const c = new Cluster([migNode('m', 'H100-80GB', 2)]);
    c.allocate('x', migJob('x', '1g.10gb'), { node: 0, gpus: [{ gpu: 0, milli: 125, mig: { profile: '1g.10gb', start: 0 } }] });
    const out = place(migBestFit, migJob('y', '2g.20gb'), c);
    expect(out).toMatchObject({ kind: 'placed', placement: { node: 0, gpus: [{ gpu: 0, mig: { profile: '2g.20gb', start: 2 } }] } });
  });

  it('prefers a partly used GPU over an empty one (keeps whole GPUs for 7g requests)', () => {
    const c = new Cluster([migNode('m', 'H100-80GB', 2)]);
    c.allocate('x', migJob('x', '3g.40gb'), { node: 0, gpus: [{ gpu: 1, milli: 500, mig: { profile: '3g.40gb', start: 4 } }] });
    const out = place(migBestFit, migJob('y', '1g.10gb'), c);
    expect(out).toMatchObject({ kind: 'placed', placement: { gpus: [{ gpu: 1 }] } });
  });

  it('reconfiguration holds new instances for the configured time', () => {
    // 1 H100, reconfig 10 s: a (1g, 5 s) at 0 creates an instance → runs 10 s + 5 s, ends at 15.
    // b (1g, 5 s) at 1: the GPU is reconfiguring until 10, so b starts at 10 (new instance: +10 s) → ends 25.
    const log = new RunWriter(undefined, { keepLines: true });
    const res = simulate({
      run: 'mig',
      seed: 1,
      nodes: [migNode('m', 'H100-80GB')],
      jobs: [migJob('a', '1g.10gb', 0, 5000), migJob('b', '1g.10gb', 1000, 5000)],
      queue: queuePolicyFactory('fifo')({}),
      placement: placementPolicyFactory('mig-best-fit')({}),
      log,
      scheduler: { migReconfigMs: 10_000 },
    });
    log.close();
    const t = (id: string) => [res.core.jobs.get(id)!.start / 1000, res.core.jobs.get(id)!.end / 1000];
    expect([t('a'), t('b')]).toEqual([[0, 15], [10, 25]]);
    expect(log.deriver.fairness().migFragPct).toBeGreaterThan(0);
  });
});
