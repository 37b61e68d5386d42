import { spawnSync } from 'node:child_process';
import { z } from 'zod';
import '../../policies/index.ts';
import { warmPoolPolicyNames, warmPoolPolicyParams } from '../context/warm-pool-registry.ts';
import { formatIssues } from '../scenario/load.ts';

/**
 * A session template: the environment a session's worker is built from. `setup` commands run once,
 * in the worker's working directory, when the worker is created (their cost is the cold start);
 * `warmPool` keeps workers built ahead of demand (prefilled, or sized by a warm-pool policy). Units: milli-CPU, MiB, seconds.
 */
export const RUNTIMES = ['node', 'shell', 'python'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * A prefilled pool: `size` workers built at start and after every take; one idle for
 * `idleRecycleSec` is rebuilt. Not a simulator policy (the simulator has no prefill): it is
 * `fixed` with `perContext: size` plus a refill on take instead of on release.
 */
const PrefilledPoolSchema = z.strictObject({
  size: z.number().int().min(0).max(256),
  idleRecycleSec: z.number().positive().max(7 * 86400),
});

/**
 * A pool driven by a registered warm-pool policy (src/context/warm-pool-policy.ts), as in the
 * simulator: empty at start; after each session of the template ends the policy says how many
 * idle workers to hold and when the new one expires (src/sessions/policy-pool.ts).
 */
const PolicyPoolSchema = z
  .strictObject({
    policy: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((w, ctx) => {
    if (!warmPoolPolicyNames().includes(w.policy)) {
      ctx.addIssue({ code: 'custom', path: ['policy'], message: `unknown warm-pool policy '${w.policy}' (known: ${warmPoolPolicyNames().join(', ')})` });
      return;
    }
    const r = warmPoolPolicyParams(w.policy).safeParse(w.params);
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['params', ...i.path.map(String), ...(i.code === 'unrecognized_keys' ? [i.keys.join(',')] : [])], message: i.code === 'unrecognized_keys' ? 'unknown param' : i.message });
  });

export const TemplateSchema = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., _ or -'),
  /** The language whose interpreter the worker keeps started ahead of each exec (shell: none needed). */
  runtime: z.enum(RUNTIMES),
  resources: z.strictObject({
    cpuMilli: z.number().int().min(0).max(1_000_000),
    memoryMiB: z.number().int().min(64).max(1 << 20),
    /** Held against the GPU placement by the service; the session engine only records it. */
    gpuMilli: z.number().int().min(0).max(1_000_000).optional(),
  }),
  setup: z.array(z.string().min(1).max(64 * 1024)).max(64).optional(),
  warmPool: z.union([PrefilledPoolSchema, PolicyPoolSchema]).optional(),
});
export type Template = z.infer<typeof TemplateSchema>;
export type PolicyPoolSpec = z.infer<typeof PolicyPoolSchema>;

/** The template's warm-pool policy, when its pool is policy-driven. */
export function poolPolicy(t: Template): PolicyPoolSpec | undefined {
  return t.warmPool && 'policy' in t.warmPool ? t.warmPool : undefined;
}

/** PATH inside a session (the sandbox scrubs the host's environment). */
export const SESSION_PATH = '/usr/local/bin:/usr/bin:/bin';

let pythonMemo: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether `python3` runs from the session PATH; probed once per process. */
export function pythonAvailable(): { ok: true } | { ok: false; reason: string } {
  if (pythonMemo) return pythonMemo;
  const r = spawnSync('python3', ['-c', 'pass'], { env: { PATH: SESSION_PATH }, stdio: 'ignore', timeout: 10_000 });
  pythonMemo = r.status === 0 ? { ok: true } : { ok: false, reason: `python3 is not runnable from ${SESSION_PATH} on this machine${r.error ? ` (${r.error.message})` : ''}` };
  return pythonMemo;
}

export class TemplateError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid session templates:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Validates a list of templates (e.g. the service config's `templates`). `source` names the file in
 * errors and `path` the field the list sits under; each problem names its field
 * (`templates.1.resources.memoryMiB: …`). Names must be unique; `runtime: python` needs python3.
 */
export function parseTemplates(input: unknown, source: string, path = 'templates'): Template[] {
  const r = z.array(TemplateSchema).safeParse(input);
  if (!r.success) throw new TemplateError(source, formatIssues(r.error.issues).map((p) => `${path}.${p}`));
  const problems: string[] = [];
  const seen = new Set<string>();
  r.data.forEach((t, i) => {
    if (seen.has(t.name)) problems.push(`${path}.${i}.name: duplicate template name '${t.name}'`);
    seen.add(t.name);
    if (t.runtime === 'python') {
      const py = pythonAvailable();
      if (!py.ok) problems.push(`${path}.${i}.runtime: 'python' needs python3: ${py.reason}`);
    }
  });
  if (problems.length > 0) throw new TemplateError(source, problems);
  return r.data;
}
