import { copyFileSync, cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { build } from 'vite';
import { buildManifest } from './manifest.ts';

export const VIZ_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the viewer into `dist` and copies a scenario output dir's data beside it (`data/`:
 * index.json, summary.json, fgd-curve.csv and every events.jsonl, a gzipped one decompressed).
 * The result is a static site: any static file server can publish it (browsers do not fetch from
 * file:// pages).
 * `opts.app`: a viewer already built (a previous `dist`), copied instead of building again.
 */
export async function buildSite(outDir: string, dist: string, opts: { quiet?: boolean; app?: string } = {}): Promise<void> {
  const manifest = buildManifest(outDir, false);
  if (opts.app) {
    rmSync(dist, { recursive: true, force: true });
    cpSync(opts.app, dist, { recursive: true, filter: (src) => !src.startsWith(join(opts.app!, 'data')) });
  } else {
    await build({
      configFile: join(VIZ_ROOT, 'vite.config.ts'),
      root: VIZ_ROOT,
      logLevel: opts.quiet ? 'silent' : 'info',
      build: { outDir: resolve(dist), emptyOutDir: true },
    });
  }
  const data = join(dist, 'data');
  mkdirSync(data, { recursive: true });
  for (const f of ['summary.json', 'fgd-curve.csv']) if (existsSync(join(outDir, f))) copyFileSync(join(outDir, f), join(data, f));
  for (const r of manifest.runs) {
    mkdirSync(dirname(join(data, r.log)), { recursive: true });
    // A gzipped log is written out plain: a static file server answers the name the page asks for as it is.
    if (r.gzip) await pipeline(createReadStream(join(outDir, r.log + '.gz')), createGunzip(), createWriteStream(join(data, r.log)));
    else copyFileSync(join(outDir, r.log), join(data, r.log));
  }
  const site = { ...manifest, runs: manifest.runs.map(({ gzip: _, ...r }) => r) };
  writeFileSync(join(data, 'index.json'), JSON.stringify(site, null, 2) + '\n');
}
