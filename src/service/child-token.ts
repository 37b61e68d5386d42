import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Scoped tokens for child jobs: a running job (or session) finds `GPULAB_TOKEN` in its environment
 * and may submit child jobs with it, as its own tenant, nothing else. A token names its parent
 * and tenant and is HMAC-SHA256-signed with a secret kept in the state directory (made at the
 * first start, mode 600), so tokens of jobs that survive a restart stay valid; the service also
 * refuses a token whose parent is no longer running (checked at each use, not in the token).
 * Form: `gpt1.<parent id>.<tenant>.<base64url mac>`: parent ids (`j<n>`, `ses_<hex>`) have no
 * dot, tenant names may, so the parent id is the second part and the mac the last.
 */
export interface TokenClaims {
  readonly parentId: string;
  readonly tenant: string;
}

const PREFIX = 'gpt1';

export class ChildTokens {
  private readonly secret: Buffer;

  constructor(stateDir: string) {
    const file = join(stateDir, 'child-token.key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    this.secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (this.secret.length < 32) throw new Error(`${file}: expected 64 hex digits (a 32-byte secret)`);
  }

  private mac(parentId: string, tenant: string): string {
    return createHmac('sha256', this.secret).update(`${PREFIX}\u0000${parentId}\u0000${tenant}`).digest('base64url');
  }

  issue(c: TokenClaims): string {
    return `${PREFIX}.${c.parentId}.${c.tenant}.${this.mac(c.parentId, c.tenant)}`;
  }

  /** The claims of a well-formed token with a valid signature; undefined otherwise. Never throws. */
  verify(token: string): TokenClaims | undefined {
    if (typeof token !== 'string' || token.length > 400) return undefined;
    const parts = token.split('.');
    if (parts.length < 4 || parts[0] !== PREFIX) return undefined;
    const parentId = parts[1];
    const tenant = parts.slice(2, -1).join('.');
    const given = Buffer.from(parts[parts.length - 1], 'base64url');
    const want = Buffer.from(this.mac(parentId, tenant), 'base64url');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
    return { parentId, tenant };
  }
}
