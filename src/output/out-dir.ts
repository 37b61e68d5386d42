import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';

/**
 * Where a scenario's outputs go, and how they get there.
 *
 * - A scenario's `output` (default: its `name`) is a directory *inside* the output root `out/`;
 *   a path that is absolute, climbs out (`..`) or names the root itself is refused, so a scenario
 *   file can never write or replace anything outside it. A caller's own `--out DIR` (or
 *   `RunOptions.out`) names the directory itself and takes the place of the root.
 * - A run writes into a temporary sibling directory `.<name>.tmp-<pid>` and renames it into place
 *   only when every file is complete, replacing the previous complete output; a run that throws,
 *   or a process stopped by SIGINT/SIGTERM, removes its temporary directory, so a failed or
 *   interrupted run leaves the previous output as it was and nothing half-written.
 */

/** The output root for scenario-named outputs, relative to the working directory. */
export const OUTPUT_ROOT = 'out';

/** Why a scenario's `name`/`output` cannot be its output directory: the field and a message. Pure. */
export function outputDirProblem(name: string, output?: string): { path: string[]; message: string } | undefined {
  const [field, value] = output !== undefined ? ['output', output] : ['name', name];
  const where = `a directory inside the output root ${OUTPUT_ROOT}/`;
  if (value === '' || isAbsolute(value) || /^[A-Za-z]:/.test(value)) return { path: [field], message: `'${value}' must be ${where} (a relative path)` };
  const n = normalize(value);
  if (n === '.' || n === `.${sep}`) return { path: [field], message: `'${value}' is the output root itself: must be ${where}` };
  if (n === '..' || n.startsWith(`..${sep}`)) return { path: [field], message: `'${value}' is outside ${OUTPUT_ROOT}/: must be ${where}` };
  return undefined;
}

/** A policy label (a run's subdirectory name) that is not a plain directory name ('.', '..'). Pure. */
export function labelProblem(label: string): string | undefined {
  return label === '.' || label === '..' ? `'${label}' is not a directory name` : undefined;
}

/** The output directory of a scenario: `<root>/<output ?? name>`; throws naming the field when it would leave the root. */
export function scenarioOutputDir(name: string, output?: string, root = OUTPUT_ROOT): string {
  const p = outputDirProblem(name, output);
  if (p) throw new OutputDirError(`${p.path.join('.')}: ${p.message}`);
  return join(root, output ?? name);
}

/** An output directory that cannot be used (not a previous output, outside the root, already closed). */
export class OutputDirError extends Error {
  override name = 'OutputDirError';
}

/** Temporary directories of runs in progress in this process (for a watchdog that must remove them before a SIGKILL). */
const active = new Set<string>();
const listeners = new Set<(dirs: readonly string[]) => void>();

export function activeTempDirs(): string[] {
  return [...active];
}

/** Calls `fn` with the temporary directories in progress whenever that set changes; returns the unsubscribe. */
export function onActiveTempDirs(fn: (dirs: readonly string[]) => void): () => void {
  listeners.add(fn);
  fn(activeTempDirs());
  return () => listeners.delete(fn);
}

function changed(): void {
  const dirs = activeTempDirs();
  for (const fn of listeners) fn(dirs);
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function onSignal(sig: NodeJS.Signals): void {
  removeActive();
  uninstall();
  // Nobody else handles it: die of the signal as the process would have without this handler.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function removeActive(): void {
  for (const d of active) rmSync(d, { recursive: true, force: true });
  active.clear();
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', removeActive);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', removeActive);
}

/** True when `pid` names no live process (its temporary directory is left over from a killed run). */
function dead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Whether `dir` may be replaced by a new output: it does not exist, is empty, or holds a previous
 * gpulab output (summary.json, a static fill's fgd-curve.csv, a live run's live.json). Anything else (`--out .`, a
 * folder of other files) is never replaced.
 */
function replaceable(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) return false;
  const names = readdirSync(dir);
  return names.length === 0 || names.includes('summary.json') || names.includes('fgd-curve.csv') || names.includes('live.json');
}

/**
 * A directory written in a temporary sibling and renamed into place by `commit`. `begin` also
 * removes temporary siblings left by runs of this output that were killed (their pid is gone).
 */
export class StagedDir {
  private open = true;

  private constructor(
    /** The directory the outputs end up in. */
    readonly final: string,
    /** Where to write them meanwhile. */
    readonly tmp: string,
  ) {}

  /** Throws, before anything is written, when `final` exists and is not a previous output. */
  static begin(final: string): StagedDir {
    const full = resolve(final);
    if (!replaceable(full)) throw new OutputDirError(`${final}: exists and is not a gpulab output (no summary.json, fgd-curve.csv or live.json); not replacing it`);
    const parent = dirname(full);
    const prefix = `.${basename(full)}.tmp-`;
    mkdirSync(parent, { recursive: true });
    for (const e of readdirSync(parent)) {
      const pid = Number(e.slice(prefix.length));
      if (e.startsWith(prefix) && Number.isInteger(pid) && pid !== process.pid && dead(pid)) rmSync(join(parent, e), { recursive: true, force: true });
    }
    const tmp = join(parent, `${prefix}${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    if (active.size === 0) install();
    active.add(tmp);
    changed();
    return new StagedDir(full, tmp);
  }

  /** Replaces `final` (if any) with the complete temporary directory. */
  commit(): void {
    if (!this.open) throw new OutputDirError(`output ${this.final}: already committed or aborted`);
    const old = join(dirname(this.final), `.${basename(this.final)}.old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    const had = existsSync(this.final);
    if (had) renameSync(this.final, old);
    try {
      renameSync(this.tmp, this.final);
    } catch (e) {
      if (had) renameSync(old, this.final);
      throw e;
    }
    this.close();
    rmSync(old, { recursive: true, force: true });
  }

  /** Removes the temporary directory; `final` is left as it was. Idempotent; a no-op after `commit`. */
  abort(): void {
    if (!this.open) return;
    this.close();
    rmSync(this.tmp, { recursive: true, force: true });
  }

  private close(): void {
    this.open = false;
    active.delete(this.tmp);
    if (active.size === 0) uninstall();
    changed();
  }
}

/** Runs `write(tmp)` into a staged directory for `final`: renamed into place when it resolves, removed when it throws. */
export async function writeStaged<T>(final: string, write: (dir: string) => Promise<T>): Promise<T> {
  const staged = StagedDir.begin(final);
  try {
    const out = await write(staged.tmp);
    staged.commit();
    return out;
  } catch (e) {
    staged.abort();
    throw e;
  }
}
