import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeLogLines } from '../viz-tree-log.ts';
import { CHROMIUM, closeViewer, HAVE_CHROMIUM, openViewer } from './open-viewer.ts';

/**
 * End to end: job trees in the viewer. A service state directory whose epoch log holds a root
 * job `r`, its children `c1` and `c2` and `c1`'s child `g` (test/viz-tree-log.ts), built as a
 * static site and driven in headless Chromium: hovering a child's bar names its parent and depth,
 * a click pins it in the tree panel, whose parent link selects the parent, and `tree:r` outlines
 * the four jobs' bars. Screenshot: test-output/viz-tree.png.
 */

const HAVE = HAVE_CHROMIUM;
const TITLE = HAVE ? 'viewer job trees in headless Chromium' : `viewer job trees in headless Chromium — SKIPPED: ${CHROMIUM} not found`;

type Hook = { barCenter(id: string): { x: number; y: number } | null; state(): { filter: { q: string }; stats: { hitBars: number } } };

describe.skipIf(!HAVE)(TITLE, () => {
  let tmp = '';
  let browser: Browser | undefined;
  let server: Server | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gpulab-viz-tree-'));
    const state = join(tmp, 'state');
    mkdirSync(join(state, 'runs', 'epoch-1'), { recursive: true });
    writeFileSync(join(state, 'runs', 'epoch-1', 'events.jsonl'), treeLogLines().join('\n') + '\n');
    ({ server, browser, page } = await openViewer(state, join(tmp, 'site'), errors));
  }, 120_000);

  afterAll(async () => {
    await closeViewer(browser, server);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const center = (id: string) => page.evaluate((j) => (window.gpulab as Hook).barCenter(j), id);
  const state = () => page.evaluate(() => (window.gpulab as Hook).state());

  it('marks the children’s bars; hovering a child names its parent and depth; a click pins it in the tree panel', async () => {
    // c1, c2, g and s1 (a session's child) start inside the view: four notches.
    await expect.poll(() => page.locator('#gantt').getAttribute('data-child-marks')).toBe('4');
    const c1 = await center('c1');
    expect(c1).not.toBeNull();
    await page.mouse.move(c1!.x, c1!.y);
    const tip = page.locator('#tooltip');
    await expect.poll(() => tip.getAttribute('data-job')).toBe('c1');
    expect(await tip.innerText()).toContain('parent r · depth 1 · children (1): g');
    await page.mouse.click(c1!.x, c1!.y);
    const panel = page.locator('#job-tree');
    await expect.poll(() => panel.getAttribute('data-job')).toBe('c1');
    expect(await panel.isVisible()).toBe(true);
    expect([await panel.getAttribute('data-parent'), await panel.getAttribute('data-depth'), await panel.getAttribute('data-children')]).toEqual(['r', '1', 'g']);
    expect(await panel.locator('.parent a').innerText()).toBe('r');
    // The parent link selects the parent: the search names it (its bar outlined) and the panel shows it.
    await panel.locator('.parent a').click();
    await expect.poll(async () => (await state()).filter.q).toBe('r');
    await expect.poll(() => panel.getAttribute('data-job')).toBe('r');
    expect(await panel.getAttribute('data-children')).toBe('c1,c2');
    expect((await state()).stats.hitBars).toBe(1);
  });

  it('tree:r highlights the root and its three descendants', async () => {
    await page.locator('#search').fill('tree:r');
    await expect.poll(async () => (await state()).stats.hitBars).toBe(4);
    expect(await page.locator('#search-count').getAttribute('data-hits')).toBe('4');
    mkdirSync(resolve('test-output'), { recursive: true });
    // Hover c2 for its tooltip in the shot; the panel under the inspector shows r's tree.
    const c2 = await center('c2');
    await page.mouse.move(c2!.x, c2!.y);
    await expect.poll(() => page.locator('#tooltip').getAttribute('data-job')).toBe('c2');
    await page.screenshot({ path: resolve('test-output', 'viz-tree.png'), fullPage: true });
    // The panel's "whole tree" link gives the same search for a child's subtree.
    await page.locator('#search').fill('c1');
    await expect.poll(() => page.locator('#job-tree').getAttribute('data-job')).toBe('c1');
    await page.locator('#job-tree a[data-tree]').click();
    await expect.poll(async () => (await state()).filter.q).toBe('tree:c1');
    await expect.poll(async () => (await state()).stats.hitBars).toBe(2);
    expect(errors).toEqual([]);
  });
});
