import { existsSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './main.ts';

/**
 * Command-line parsing shared by the CLIs: Node's strict `parseArgs`, with its errors as
 * UsageErrors, and strict value parsers whose errors name the flag.
 */

/**
 * `parseArgs` in strict mode. A string option followed by a negative number (`--seed -5`, as the
 * conformance kit prints replay hints) takes it as its value; parseArgs alone calls that ambiguous.
 */
export function parseCli<O extends ParseArgsOptionsConfig>(args: readonly string[], options: O) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      joined.push(`${a}=${args[++i]}`);
    } else joined.push(a);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** An integer in [min, max] written in decimal digits (an optional sign); else a UsageError naming `flag`. */
export function intFlag(flag: string, v: string, min: number, max: number): number {
  const x = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(x) || x < min || x > max) {
    throw new UsageError(`${flag}: expected an integer from ${min} to ${max}, got '${v}'`);
  }
  return x;
}

/** A seed: any safe integer (negative too), parsed strictly: `''`, `1.5`, `0x10` and 2^53 + 1 are errors. */
export function seedFlag(flag: string, v: string): number {
  return intFlag(flag, v, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

/** A decimal number with min ≤ x ≤ max (min > 0). */
export function positiveFlag(flag: string, v: string, min: number, max: number): number {
  const x = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
  if (!(x >= min && x <= max)) throw new UsageError(`${flag}: expected a number from ${min} to ${max}, got '${v}'`);
  return x;
}

/**
 * Why `dir` cannot be an output directory, or undefined: it (or the nearest part of its path that
 * exists) must be a directory in which this process can create one. Probes by creating and
 * removing an empty directory there, since permission bits lie (to root, and on /proc, where a
 * recursive mkdir never returns). Leaves nothing behind.
 */
export function outDirProblem(dir: string): string | undefined {
  let at = resolve(dir);
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) return 'no part of the path exists';
    at = up;
  }
  if (!statSync(at).isDirectory()) return `${at} is not a directory`;
  try {
    rmdirSync(mkdtempSync(join(at, '.gpulab-probe-')));
  } catch (e) {
    return `cannot create a directory in ${at} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  return undefined;
}

/** Why `file` cannot be written as an output file, or undefined: its folder must exist and take a new file; it must not be a folder. */
export function outFileProblem(file: string): string | undefined {
  const full = resolve(file);
  if (existsSync(full) && statSync(full).isDirectory()) return 'is a directory';
  const parent = dirname(full);
  if (!existsSync(parent)) return `its folder ${parent} does not exist`;
  return outDirProblem(parent);
}

/** Throws a UsageError naming `flag` when `dir` cannot be an output directory. */
export function checkOutDir(flag: string, dir: string): void {
  const why = outDirProblem(dir);
  if (why) throw new UsageError(`${flag} ${dir}: not writable: ${why}`);
}
