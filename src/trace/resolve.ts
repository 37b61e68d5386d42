import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Finding a public trace file. Order:
 *  1. an explicit path (absolute, or relative to `base`) that exists;
 *  2. `<trace dir>/<name>`, the trace dir being $GPULAB_TRACE_DIR, default `../shared/traces`
 *     relative to the repository root;
 *  3. `<cache dir>/<name>` (default `.cache/traces` under the repository root, git-ignored) when
 *     its sha256 matches the manifest;
 *  4. a download from the manifest's public URL (traces/manifest.json), verified against the
 *     manifest's sha256 before it is moved into the cache. A mismatch is an error and nothing is
 *     kept.
 * `name` is the manifest key: the path under the trace dir, e.g.
 * `alibaba-gpu-v2023/openb_pod_list_default.csv`.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const EntrySchema = z.strictObject({
  url: z.url(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  bytes: z.number().int().nonnegative(),
});
export const ManifestSchema = z.strictObject({
  version: z.literal(1),
  /** Where the URLs point (repository@commit), for people. */
  sources: z.record(z.string(), z.string()).optional(),
  traces: z.record(z.string(), EntrySchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestEntry = z.infer<typeof EntrySchema>;

/** Downloads a URL's bytes. Injected in tests (there is no network there). */
export type Fetcher = (url: string) => Promise<Uint8Array>;

export const defaultFetcher: Fetcher = async (url) => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};

export function loadManifest(file = join(REPO_ROOT, 'traces/manifest.json')): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${file}: field '${i.path.join('.')}': ${i.message}`);
  }
  return r.data;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The configured trace directory. */
export function traceDir(env: Readonly<Record<string, string | undefined>> = process.env, repoRoot = REPO_ROOT): string {
  const d = env.GPULAB_TRACE_DIR;
  return d && d !== '' ? resolve(repoRoot, d) : resolve(repoRoot, '../shared/traces');
}

export interface ResolveOptions {
  /** Folder that relative explicit paths resolve against (a scenario's folder); default cwd. */
  readonly base?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly repoRoot?: string;
  readonly cacheDir?: string;
  readonly manifest?: Manifest;
  readonly fetcher?: Fetcher;
}

export type TraceSource = 'explicit' | 'trace-dir' | 'cache' | 'download';

export async function resolveTrace(name: string, opts: ResolveOptions = {}): Promise<{ path: string; source: TraceSource }> {
  const root = opts.repoRoot ?? REPO_ROOT;
  const explicit = isAbsolute(name) ? name : resolve(opts.base ?? process.cwd(), name);
  if (existsSync(explicit)) return { path: explicit, source: 'explicit' };
  const dir = traceDir(opts.env ?? process.env, root);
  const inDir = join(dir, name);
  if (existsSync(inDir)) return { path: inDir, source: 'trace-dir' };

  const manifest = opts.manifest ?? loadManifest(join(root, 'traces/manifest.json'));
  const entry = manifest.traces[name];
  if (!entry) {
    throw new Error(`trace '${name}': not found at ${explicit} nor in the trace dir ${dir} (set GPULAB_TRACE_DIR), and not in the manifest`);
  }
  const cacheDir = opts.cacheDir ?? join(root, '.cache/traces');
  const cached = join(cacheDir, name);
  if (existsSync(cached) && sha256(readFileSync(cached)) === entry.sha256) return { path: cached, source: 'cache' };

  const fetcher = opts.fetcher ?? defaultFetcher;
  let bytes: Uint8Array;
  try {
    bytes = await fetcher(entry.url);
  } catch (e) {
    throw new Error(`trace '${name}': not in ${dir} and the download from ${entry.url} failed: ${(e as Error).message}`);
  }
  const got = sha256(bytes);
  if (got !== entry.sha256) {
    throw new Error(`trace '${name}': checksum mismatch for ${entry.url}: expected sha256 ${entry.sha256}, got ${got} (${bytes.length} bytes); not cached`);
  }
  mkdirSync(dirname(cached), { recursive: true });
  const tmp = `${cached}.part`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, cached);
  return { path: cached, source: 'download' };
}
