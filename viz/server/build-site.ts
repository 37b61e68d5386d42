import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { buildManifest } from './manifest.ts';

export const VIZ_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the viewer into `dist` and copies a scenario output dir's data beside it (`data/`:
 * index.json, summary.json, fgd-curve.csv and every events.jsonl). The result is a static
 * site: any static file server can publish it (browsers do not fetch from file:// pages).
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
    copyFileSync(join(outDir, r.log), join(data, r.log));
  }
  writeFileSync(join(data, 'index.json'), JSON.stringify(manifest, null, 2) + '\n');
}
