import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The checkout's root, and its tsx launcher (what `npx tsx` runs). */
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * A fresh folder outside the checkout (under the OS temp dir, `prefix` in its name) where
 * `import … from 'gpulab'` resolves to this checkout, as an installed package would. The caller
 * removes it.
 */
export function userProject(prefix = 'gpulab-user-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'gpulab'), 'dir');
  return dir;
}
