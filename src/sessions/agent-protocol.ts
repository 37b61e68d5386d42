import { z } from 'zod';
import type { Language } from './api-schema.ts';

/**
 * Messages between a session worker's manager and its agent (agent/agent.mjs), over Node IPC in
 * JSON. The agent runs inside the sandbox, so what it sends is parsed, never trusted.
 */
export type ToAgent =
  | { readonly type: 'init'; readonly setup: readonly string[]; readonly spare: 'javascript' | 'python' | null; readonly setupTimeoutMs: number }
  | { readonly type: 'exec'; readonly id: number; readonly language: Language; readonly code: string; readonly stdin?: string; readonly timeoutMs: number; readonly capBytes: number }
  /** Variables every later exec sees (the session's own, e.g. its child-job token); a spare interpreter is restarted with them. */
  | { readonly type: 'env'; readonly vars: Readonly<Record<string, string>> };

export const FromAgentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), setupMs: z.number().nonnegative() }),
  z.object({ type: z.literal('setup-failed'), index: z.number().int(), exitCode: z.number().int(), output: z.string(), timedOut: z.boolean() }),
  z.object({
    type: z.literal('result'),
    id: z.number().int(),
    exitCode: z.number().int(),
    stdout: z.string(),
    stderr: z.string(),
    durationMs: z.number().nonnegative(),
    truncated: z.boolean(),
    timedOut: z.boolean(),
  }),
]);
export type FromAgent = z.infer<typeof FromAgentSchema>;
