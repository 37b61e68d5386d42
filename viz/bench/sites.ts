import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildSite } from '../server/build-site.ts';
import { serveStatic } from '../server/static-server.ts';

/** A viewer site over one run's outputs: this checkout's, or an older tree's (`--baseline`). */
export interface BenchSite {
  readonly name: string;
  readonly dir: string;
}

/**
 * Builds the viewer over `outDir` as static sites in a temporary folder: with `baseline` (a folder
 * holding an older `viz/` and `src/`), that tree's viewer first, then this checkout's.
 */
export async function benchSites(outDir: string, baseline: string | undefined): Promise<{ sites: BenchSite[]; tmp: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-bench-'));
  const sites: BenchSite[] = [];
  if (baseline) {
    const base = resolve(baseline);
    const { buildSite: buildBase } = (await import(join(base, 'viz/server/build-site.ts'))) as { buildSite: typeof buildSite };
    await buildBase(outDir, join(tmp, 'baseline'), { quiet: true });
    sites.push({ name: `baseline (${base})`, dir: join(tmp, 'baseline') });
  }
  await buildSite(outDir, join(tmp, 'current'), { quiet: true });
  sites.push({ name: 'this checkout', dir: join(tmp, 'current') });
  return { sites, tmp };
}

/**
 * Serves every site, opens headless Chromium and measures each site `rounds` times, the sites
 * alternating (so that a loaded machine hits them alike), printing each measurement's lines under
 * its site's name; then closes everything and removes `tmp`. `measure` is told whether it is the
 * last measurement (one may take a screenshot then).
 */
export async function measureRounds(sites: readonly BenchSite[], tmp: string, rounds: number, measure: (browser: Browser, url: string, last: boolean) => Promise<string[]>): Promise<void> {
  const servers: { url: string; close: () => void }[] = [];
  for (const s of sites) {
    const { server, url } = await serveStatic(s.dir);
    servers.push({ url, close: () => server.close() });
  }
  const browser = await chromium.launch({
    executablePath: process.env.GPULAB_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [i, s] of sites.entries()) {
        const lines = await measure(browser, servers[i].url, r === rounds - 1 && i === sites.length - 1);
        process.stdout.write([`${s.name}${rounds > 1 ? `, round ${r + 1}` : ''}:`, ...lines].join('\n') + '\n');
      }
    }
  } finally {
    await browser.close();
    for (const s of servers) s.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
