import { ScenarioError } from '../scenario/load.ts';
import type { PolicyCombo, Scenario } from '../scenario/schema.ts';
import { checkParams } from '../scheduler/registry.ts';
import { warmPoolPolicyFactory, warmPoolPolicyNames, warmPoolPolicyParams } from './warm-pool-registry.ts';
import { WarmState, type ContextSettings } from './warm-state.ts';

const ms = (sec: number) => Math.round(sec * 1000);

/** A scenario's `contexts:` in core units (ms); undefined when it has none. */
export function contextSettings(scn: Pick<Scenario, 'contexts'>): ContextSettings | undefined {
  const c = scn.contexts;
  if (!c) return undefined;
  return {
    warmMs: ms(c.warmStartSec),
    coldMs: ms(c.coldStartSec),
    ...(c.perContext ? { perContext: new Map(Object.entries(c.perContext).map(([id, p]) => [id, { warmMs: ms(p.warmStartSec), coldMs: ms(p.coldStartSec) }])) } : {}),
  };
}

/**
 * For a scenario with `contexts:`, a maker of each run's fresh warm state (its combination's
 * warm-pool policy, else the scenario's default); undefined without. Checks every combination's
 * warm-pool policy name and params first: a ScenarioError names `file` and the field.
 */
export function warmStateMaker(scn: Pick<Scenario, 'contexts' | 'policies'>, file: string): ((combo: PolicyCombo) => WarmState) | undefined {
  const settings = contextSettings(scn);
  if (!settings || !scn.contexts) return undefined;
  const fallback = scn.contexts.warmPool;
  const problems: string[] = [];
  const check = (wp: { policy: string; params: Record<string, unknown> }, at: string) => {
    if (!warmPoolPolicyNames().includes(wp.policy)) {
      problems.push(`${at}.policy: unknown warm-pool policy '${wp.policy}' (known: ${warmPoolPolicyNames().join(', ')})`);
      return;
    }
    const r = checkParams(warmPoolPolicyParams(wp.policy), wp.params, `${at}.params`);
    if (!r.ok) problems.push(...r.problems);
  };
  check(fallback, 'contexts.warmPool');
  scn.policies.forEach((c, i) => c.warmPool && check(c.warmPool, `policies.${i}.warmPool`));
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return (combo) => {
    const wp = combo.warmPool ?? fallback;
    return new WarmState(settings, warmPoolPolicyFactory(wp.policy)(wp.params));
  };
}
