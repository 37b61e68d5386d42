import { OutputDirError } from '../output/out-dir.ts';
import { ScenarioError } from '../scenario/load.ts';
import { PolicyError } from '../scheduler/policy-guard.ts';
import { UnknownPolicyError } from '../scheduler/registry.ts';
import { TraceError } from '../trace/csv-rows.ts';
import { TraceResolveError } from '../trace/resolve.ts';

/** A bad command line (unknown flag, bad flag value, missing argument): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A file the user named cannot be used (a policy module that is missing or fails to import): exit code 1. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * Errors whose message is the whole story for a user (they name the file, field, line or flag):
 * printed as `error: <message>`, never with a stack trace.
 */
const USER_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [UsageError, InputError, ScenarioError, TraceError, TraceResolveError, UnknownPolicyError, PolicyError, OutputDirError];

export function isUserError(e: unknown): e is Error {
  return USER_ERRORS.some((c) => e instanceof c);
}

/**
 * The message to print for a failure, and the exit code: 2 for usage errors, 1 otherwise. An
 * unexpected (internal) error prints its stack only with GPULAB_DEBUG=1. Pure.
 */
export function describeFailure(e: unknown, env: NodeJS.ProcessEnv = process.env): { text: string; code: number } {
  const debug = env['GPULAB_DEBUG'] === '1';
  if (e instanceof UsageError) return { text: `error: ${e.message}\n(--help for usage)`, code: 2 };
  if (isUserError(e)) return { text: `error: ${e.message}`, code: 1 };
  const err = e instanceof Error ? e : new Error(String(e));
  if (debug) return { text: `error: ${err.stack ?? err.message}`, code: 1 };
  return { text: `error: ${err.message}\n(an internal error; GPULAB_DEBUG=1 prints its stack trace)`, code: 1 };
}

function fail(e: unknown): void {
  const { text, code } = describeFailure(e);
  process.stderr.write(text + '\n');
  process.exitCode = code;
}

/**
 * Runs a CLI's `main` (returning its exit code) and sets `process.exitCode`; what it throws, or
 * what escapes it later (an unhandled rejection or 'error' event), is printed by
 * `describeFailure` instead of Node's stack dump. The one entry point of every `src/cli/*` tool.
 */
export async function cliMain(main: () => Promise<number>): Promise<void> {
  process.on('uncaughtException', (e) => {
    fail(e);
    process.exit();
  });
  process.on('unhandledRejection', (e) => {
    fail(e);
    process.exit();
  });
  try {
    process.exitCode = await main();
  } catch (e) {
    fail(e);
  }
}
