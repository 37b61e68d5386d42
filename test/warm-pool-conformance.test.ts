import { describe, expect, it } from 'vitest';
import type { WarmPoolPolicy } from '../src/context/warm-pool-policy.ts';
import { checkRegisteredWarmPools, checkWarmPool } from '../src/conformance/warm-pool.ts';

const OPTS = { numRuns: 30 };
const statusOf = (rs: ReturnType<typeof checkWarmPool>) => Object.fromEntries(rs.map((r) => [r.property, r.status]));
const errorOf = (rs: ReturnType<typeof checkWarmPool>, p: string) => rs.find((r) => r.property === p)!.error;

describe('conformance kit: warm-pool policies', () => {
  it('every shipped warm-pool policy passes every warm-pool property', () => {
    const all = checkRegisteredWarmPools(OPTS);
    expect(all.map((p) => p.name)).toEqual(['demand-proportional', 'fixed', 'idle-timeout']);
    for (const p of all) {
      for (const r of p.results) expect({ policy: p.name, property: r.property, status: r.status, error: r.error }).toEqual({ policy: p.name, property: r.property, status: 'pass', error: undefined });
    }
  }, 120_000);

  it('catches a fractional or negative keep and a ttl that is not a number of ms', () => {
    const half: WarmPoolPolicy = { name: 'half', afterRelease: (_r, v) => ({ keep: v.idle('m0') / 2 }) };
    const r = checkWarmPool(() => half, OPTS);
    expect(statusOf(r)['valid-decision']).toBe('fail');
    expect(errorOf(r, 'valid-decision')).toMatch(/keep \d+\.5: not a whole number ≥ 0/);
    const nan: WarmPoolPolicy = { name: 'nan', afterRelease: () => ({ keep: 1, ttlMs: NaN }) };
    expect(errorOf(checkWarmPool(() => nan, OPTS), 'valid-decision')).toMatch(/ttlMs NaN/);
  });

  it('catches a policy that counts its own calls (state carried between releases)', () => {
    const make = (): WarmPoolPolicy => {
      let calls = 0;
      return { name: 'counter', afterRelease: () => ({ keep: calls++ % 3 }) };
    };
    const r = checkWarmPool(make, OPTS);
    // Each fresh instance answers its first call alike: only the sequence shows the counter.
    expect(statusOf(r)).toMatchObject({ deterministic: 'pass', 'no-hidden-state': 'fail' });
    expect(errorOf(r, 'no-hidden-state')).toMatch(/release 2: \{"keep":1\} from an instance that decided before, \{"keep":0\} from a fresh one/);
  });

  it('catches a policy whose decision depends on something besides its inputs', () => {
    let shared = 0;
    const bad: WarmPoolPolicy = { name: 'module-counter', afterRelease: () => ({ keep: shared++ % 2 }) };
    expect(statusOf(checkWarmPool(() => bad, OPTS)).deterministic).toBe('fail');
  });

  it('catches a policy that writes to the released instance', () => {
    const bad: WarmPoolPolicy = {
      name: 'tagger',
      afterRelease: (r) => {
        (r as { seen?: boolean }).seen = true;
        return { keep: 1 };
      },
    };
    const r = checkWarmPool(() => bad, OPTS);
    expect(statusOf(r).pure).toBe('fail');
    expect(errorOf(r, 'pure')).toMatch(/wrote to the released instance/);
  });
});
