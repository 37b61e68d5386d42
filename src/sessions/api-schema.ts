import { z } from 'zod';

/**
 * Request bodies of the session routes, validated at the edge (`POST /v1/sessions`,
 * `POST /v1/sessions/:id/exec`). Seconds in the API; the engine converts to ms inside.
 */
export const LANGUAGES = ['javascript', 'shell', 'python'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Longest a session may idle or live, seconds (7 days). */
export const MAX_SESSION_SEC = 7 * 86400;
/** Largest `code` and `stdin` of one exec, bytes of UTF-16 (the body limit binds first in the service). */
export const MAX_EXEC_INPUT = 1 << 20;

export const CreateSessionSchema = z.strictObject({
  tenant: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., _ or -'),
  template: z.string().min(1).max(100),
  idleTimeoutSec: z.number().positive().max(MAX_SESSION_SEC).optional(),
  maxLifetimeSec: z.number().positive().max(MAX_SESSION_SEC).optional(),
});
export type CreateSessionRequest = z.infer<typeof CreateSessionSchema>;

export const ExecRequestSchema = z.strictObject({
  language: z.enum(LANGUAGES),
  code: z.string().max(MAX_EXEC_INPUT),
  /** Bounded again by the manager's `maxExecTimeoutSec`. */
  timeoutSec: z.number().positive().max(86400).optional(),
  stdin: z.string().max(MAX_EXEC_INPUT).optional(),
});
export type ExecRequest = z.infer<typeof ExecRequestSchema>;

/** What one exec returned. `exitCode` is 124 on a timeout and 128+N when killed by signal N. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the exec inside the worker, ms (spawn to the end of its output). */
  readonly durationMs: number;
  /** Whether either stream was cut at the capture bound (the text then ends in a `[… truncated …]` line). */
  readonly truncated: boolean;
  readonly timedOut: boolean;
}
