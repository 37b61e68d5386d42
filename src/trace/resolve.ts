import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a trace file comes from, in this order:
 *  1. the path as given (relative to the scenario file's folder), if it exists;
 *  2. the same relative path under the trace directory: env GPULAB_TRACE_DIR, default
 *     `../shared/traces` relative to the repository root;
 *  3. the manifest (traces/manifest.json): its public URL is downloaded into the cache directory
 *     (`.cache/traces`, git-ignored) and kept only if its sha256 matches.
 * Public trace files are never copied into the repository.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function traceDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['GPULAB_TRACE_DIR'] ? resolve(env['GPULAB_TRACE_DIR']) : resolve(REPO_ROOT, '../shared/traces');
}

export interface ManifestEntry {
  /** Public download location (https:, or file: in tests). */
  readonly url: string;
  readonly sha256: string;
  readonly bytes?: number;
  readonly source?: string;
}

export type Manifest = Readonly<Record<string, ManifestEntry>>;

export function loadManifest(file = join(REPO_ROOT, 'traces/manifest.json')): Manifest {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { files?: Manifest };
  return raw.files ?? {};
}

/** Fetches a URL's bytes. The default handles file: URLs and uses global fetch otherwise. */
export type Fetcher = (url: string) => Promise<Uint8Array>;

export const defaultFetcher: Fetcher = async (url) => {
  if (url.startsWith('file:')) return readFileSync(fileURLToPath(url));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`download ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};

export class TraceResolveError extends Error {
  override name = 'TraceResolveError';
}

export interface ResolveOptions {
  /** Folder the path is relative to (the scenario file's folder). */
  readonly base: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly manifest?: Manifest;
  readonly cacheDir?: string;
  readonly fetcher?: Fetcher;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The local file for trace `path` (see the module comment); downloads and verifies if needed. */
export async function resolveTrace(path: string, o: ResolveOptions): Promise<string> {
  const direct = isAbsolute(path) ? path : resolve(o.base, path);
  if (existsSync(direct)) return direct;
  const rel = path.replace(/^(\.\.?\/)+/, '');
  const inDir = join(traceDir(o.env), rel);
  if (existsSync(inDir)) return inDir;
  const cacheDir = o.cacheDir ?? join(REPO_ROOT, '.cache/traces');
  const cached = join(cacheDir, rel);
  const manifest = o.manifest ?? loadManifest();
  const entry = manifest[rel];
  if (!entry) {
    throw new TraceResolveError(`trace '${path}' not found at ${direct}, nor under the trace directory ${traceDir(o.env)} (set GPULAB_TRACE_DIR), and not in traces/manifest.json`);
  }
  if (existsSync(cached) && sha256(readFileSync(cached)) === entry.sha256) return cached;
  const bytes = await (o.fetcher ?? defaultFetcher)(entry.url);
  const got = sha256(bytes);
  if (got !== entry.sha256) {
    throw new TraceResolveError(`trace '${rel}' from ${entry.url}: sha256 ${got} does not match the manifest's ${entry.sha256}; not kept`);
  }
  mkdirSync(dirname(cached), { recursive: true });
  writeFileSync(cached + '.part', bytes);
  renameSync(cached + '.part', cached);
  return cached;
}
