import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildSite } from '../../viz/server/build-site.ts';
import { serveStatic } from '../../viz/server/static-server.ts';

/** The Chromium the viewer's e2e tests drive (`.ci/run` installs it; GPULAB_CHROMIUM overrides). */
export const CHROMIUM = process.env.GPULAB_CHROMIUM ?? '/usr/bin/chromium';
/** Whether that Chromium is there: the e2e suites skip, saying why, when it is not. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const LAUNCH = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface OpenViewer {
  readonly server: Server;
  readonly browser: Browser;
  readonly page: Page;
  readonly url: string;
}

/**
 * Builds the output or state directory `data` as a static site in `site`, serves it on loopback,
 * opens it in headless Chromium (1200×900, device pixel ratio 1) and waits until the page is
 * ready. Page errors go to `errors`.
 */
export async function openViewer(data: string, site: string, errors: string[]): Promise<OpenViewer> {
  await buildSite(data, site, { quiet: true });
  const { server, url } = await serveStatic(site, 0);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
  return { server, browser, page, url };
}

/** Closes what `openViewer` opened (either may be missing after a failed start). */
export async function closeViewer(browser: Browser | undefined, server: Server | undefined): Promise<void> {
  await browser?.close();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
}
