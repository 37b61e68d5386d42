import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Helpers for the hostile-input suite: temp files, and CLI runs bounded in time and heap. */

export const ROOT = resolve(import.meta.dirname, '../..');

const made: string[] = [];

/** Removes every folder `tempDir` made (call from afterAll). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh temp folder with `write(name, text)` that returns the file's path. */
export function tempDir(prefix: string): { dir: string; write(name: string, text: string | Buffer): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return {
    dir,
    write(name, text) {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Heap of a spawned CLI (MiB): a case that tried to hold what it cannot dies of it instead of swapping. */
export const CHILD_HEAP_MIB = 512;

/**
 * Runs `src/cli/<cli>.ts` with `args` in a child Node (tsx), its heap capped at CHILD_HEAP_MIB,
 * killed after `timeoutMs` (then `signal` is set).
 */
export function runCli(cli: string, args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  const t0 = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env, GPULAB_DEBUG: '' };
  delete env['NODE_OPTIONS'];
  const child = spawn(process.execPath, [`--max-old-space-size=${CHILD_HEAP_MIB}`, '--import', 'tsx', `src/cli/${cli}.ts`, ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** `fn` over `items` with at most `limit` running at once; results in order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A line of a Node stack trace (`    at f (file:1:2)`). */
export const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
