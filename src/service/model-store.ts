import { createHash } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * The model store: a directory of model files that jobs name by their path inside it (e.g.
 * `resnet50/weights.bin`). At admission the service hashes the files a job names (sha256, cached
 * by path, mtime and size, so a file is read again only when it changed) and checks them against
 * the signed manifest's `modelHashes`.
 */

export type ModelRefusalCode = 'bad-model-path' | 'unknown-model' | 'model-hash-mismatch' | 'model-unattested';

export const MODEL_REFUSAL_STATUS: Readonly<Record<ModelRefusalCode, 400 | 403>> = {
  'bad-model-path': 400,
  'unknown-model': 403,
  'model-hash-mismatch': 403,
  'model-unattested': 403,
};

export type ModelCheck =
  /** `hashes`: each named model's sha256 (hex) as read now. */
  | { readonly kind: 'ok'; readonly hashes: Readonly<Record<string, string>> }
  /** `field`: the request field that names the model (`models.N` or `manifest.payload.modelHashes.NAME`). */
  | { readonly kind: 'refused'; readonly code: ModelRefusalCode; readonly field: string; readonly detail: string; readonly hashes: Readonly<Record<string, string>> };

interface Cached {
  readonly mtimeMs: number;
  readonly size: number;
  readonly hash: Promise<string>;
}

export class ModelStore {
  private readonly root: string;
  private readonly cache = new Map<string, Cached>();

  /** `dir`: the config's `models.dir`; throws naming it when it is not a directory. */
  constructor(dir: string) {
    let st;
    try {
      this.root = realpathSync(dir);
      st = statSync(this.root);
    } catch (e) {
      throw new Error(`models.dir: ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!st.isDirectory()) throw new Error(`models.dir: ${dir}: not a directory`);
  }

  /**
   * Checks the models a job needs: every name in `named` (the request's `models`) and every key
   * of `expected` (the manifest's `modelHashes`) must be a path inside the store (400
   * bad-model-path) of an existing regular file (403 unknown-model) whose sha256 equals the
   * expected one where given (403 model-hash-mismatch); with `requireHashes` (attestation on), a
   * named model without an expected hash is refused too (403 model-unattested). The first failure
   * in that order decides; `hashes` holds what was read up to it.
   */
  async check(named: readonly string[], expected: Readonly<Record<string, string>> | undefined, requireHashes: boolean): Promise<ModelCheck> {
    const fields = new Map<string, string>();
    named.forEach((n, i) => fields.set(n, `models.${i}`));
    for (const n of Object.keys(expected ?? {})) if (!fields.has(n)) fields.set(n, `manifest.payload.modelHashes.${n}`);
    const hashes: Record<string, string> = {};
    const refuse = (code: ModelRefusalCode, field: string, detail: string): ModelCheck => ({ kind: 'refused', code, field, detail, hashes });
    const files = new Map<string, string>();
    for (const [name, field] of fields) {
      const file = this.pathOf(name);
      if (file === undefined) return refuse('bad-model-path', field, `model '${name}': not a path inside the model store`);
      files.set(name, file);
    }
    for (const [name, field] of fields) {
      const h = await this.hashOf(files.get(name)!);
      if (h === undefined) return refuse('unknown-model', field, `model '${name}': no such file in the model store`);
      hashes[name] = h;
      const want = expected?.[name];
      if (want !== undefined && want !== h) return refuse('model-hash-mismatch', field, `model '${name}': sha256 ${h.slice(0, 12)}… differs from the manifest's ${want.slice(0, 12)}…`);
      if (want === undefined && requireHashes) return refuse('model-unattested', field, `model '${name}': the manifest gives no modelHashes entry for it`);
    }
    return { kind: 'ok', hashes };
  }

  /** The file a model name denotes, or undefined when the name leaves the store (`..`, absolute, a symlink out). */
  private pathOf(name: string): string | undefined {
    if (name.length === 0 || name.includes('\0') || isAbsolute(name) || name.includes('\\')) return undefined;
    const file = join(this.root, name);
    const rel = relative(this.root, file);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return file; // missing: unknown-model, not a path error
    }
    const realRel = relative(this.root, real);
    return realRel === '' || realRel === '..' || realRel.startsWith(`..${sep}`) || isAbsolute(realRel) ? undefined : real;
  }

  /** sha256 (hex) of a regular file, cached by path, mtime and size; undefined when there is none. */
  private async hashOf(file: string): Promise<string | undefined> {
    let st;
    try {
      st = await stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const c = this.cache.get(file);
    if (c && c.mtimeMs === st.mtimeMs && c.size === st.size) return c.hash;
    const hash = new Promise<string>((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(file)
        .on('data', (d) => h.update(d))
        .on('end', () => resolve(h.digest('hex')))
        .on('error', reject);
    });
    this.cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash });
    try {
      return await hash;
    } catch {
      this.cache.delete(file);
      return undefined;
    }
  }
}
