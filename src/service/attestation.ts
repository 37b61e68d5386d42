import canonicalize from 'canonicalize';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { MODEL_REFUSAL_STATUS, type ModelRefusalCode } from './model-store.ts';

/**
 * Attestation before admission. A manifest `{ tenant, keyId, jobHash, modelHashes?, issuedAt,
 * nonce }` is signed with Ed25519 by a key bound to that tenant in the config; the signature is
 * over the manifest's canonical JSON (RFC 8785, by the `canonicalize` library) and `jobHash` is the
 * sha256 (hex) of the canonical JSON of the job request without its `manifest` field.
 *
 * Checks, in order (the first failure decides; each maps to one HTTP status and error code):
 *   malformed envelope → 400 bad-manifest · unknown key → 401 unknown-key · key of another tenant,
 *   or a manifest for another tenant than the job → 403 wrong-tenant · bad signature → 401
 *   bad-signature · jobHash differs → 403 job-tampered · issuedAt too old → 401 expired, too far
 *   ahead → 401 not-yet-valid · nonce already used with this key → 403 replayed-nonce.
 * The job's models are checked after it, against `modelHashes`, by the model store
 * (model-store.ts: bad-model-path, unknown-model, model-hash-mismatch, model-unattested; 400
 * models-unsupported where no store is configured).
 * Pure but for the nonce look-up passed in; never throws on untrusted input.
 */
export const ManifestSchema = z.strictObject({
  tenant: z.string().min(1).max(100),
  keyId: z.string().min(1).max(200),
  jobHash: z.string().regex(/^[0-9a-f]{64}$/, 'sha256, 64 lower-case hex digits'),
  modelHashes: z.record(z.string().max(500), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  /** RFC 3339 time, e.g. 2025-01-01T00:00:00Z. */
  issuedAt: z.iso.datetime({ offset: true }),
  nonce: z.string().min(16).max(200),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const SignedManifestEnvelopeSchema = z.strictObject({
  payload: ManifestSchema,
  /** Ed25519 signature over canonicalize(payload), base64. */
  signature: z.string().max(200).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});

export type AttestationCode = 'bad-manifest' | 'unknown-key' | 'wrong-tenant' | 'bad-signature' | 'job-tampered' | 'expired' | 'not-yet-valid' | 'replayed-nonce' | 'models-unsupported' | ModelRefusalCode;

export const ATTESTATION_STATUS: Readonly<Record<AttestationCode, 400 | 401 | 403>> = {
  ...MODEL_REFUSAL_STATUS,
  'bad-manifest': 400,
  'unknown-key': 401,
  'wrong-tenant': 403,
  'bad-signature': 401,
  'job-tampered': 403,
  expired: 401,
  'not-yet-valid': 401,
  'replayed-nonce': 403,
  'models-unsupported': 400,
};

/** What every attestation decision records (on the job when one is made). */
export interface AttestationReport {
  readonly verdict: 'verified' | 'refused' | 'off';
  readonly code?: AttestationCode;
  readonly detail?: string;
  readonly keyId?: string;
  readonly tenant: string;
  readonly jobHash: string;
  readonly nonce?: string;
  /** The job's models and their sha256 as read at admission (verified against `modelHashes` when attested). */
  readonly models?: Readonly<Record<string, string>>;
  readonly checkedAt: string;
}

export type AttestationOutcome =
  | { readonly kind: 'verified'; readonly report: AttestationReport; readonly keyId: string; readonly nonce: string; readonly modelHashes?: Readonly<Record<string, string>> }
  | { readonly kind: 'refused'; readonly report: AttestationReport; readonly code: AttestationCode; readonly status: 400 | 401 | 403 };

/** RFC 8785 canonical JSON; throws on values JSON cannot carry. */
export function canonicalJson(v: unknown): string {
  const s = canonicalize(v);
  if (s === undefined) throw new Error('value has no canonical JSON form');
  return s;
}

/** sha256 (hex) of the canonical JSON of a job request without its `manifest`. */
export function jobHash(request: Readonly<Record<string, unknown>>): string {
  const { manifest: _m, ...job } = request;
  return createHash('sha256').update(canonicalJson(job)).digest('hex');
}

export interface TenantKeys {
  readonly tenant: string;
  readonly keys: readonly { readonly id: string; readonly publicKey: string }[];
}

export class Attestor {
  private readonly keys = new Map<string, { tenant: string; key: KeyObject }>();

  constructor(
    tenants: readonly TenantKeys[],
    private readonly o: { readonly maxAgeMs: number; readonly maxSkewMs: number },
  ) {
    for (const t of tenants) {
      for (const k of t.keys) {
        const key = createPublicKey(k.publicKey);
        if (key.asymmetricKeyType !== 'ed25519') throw new Error(`tenant ${t.tenant} key ${k.id}: expected an ed25519 key, got ${key.asymmetricKeyType}`);
        this.keys.set(k.id, { tenant: t.tenant, key });
      }
    }
  }

  check(request: Readonly<Record<string, unknown>>, nowMs: number, nonceUsed: (keyId: string, nonce: string) => boolean): AttestationOutcome {
    const tenant = String(request.tenant);
    const hash = jobHash(request);
    const base = { tenant, jobHash: hash, checkedAt: new Date(nowMs).toISOString() };
    const refuse = (code: AttestationCode, detail: string, extra: Partial<AttestationReport> = {}): AttestationOutcome => ({
      kind: 'refused',
      code,
      status: ATTESTATION_STATUS[code],
      report: { ...base, ...extra, verdict: 'refused', code, detail },
    });
    const p = SignedManifestEnvelopeSchema.safeParse(request.manifest);
    if (!p.success) {
      const i = p.error.issues[0];
      return refuse('bad-manifest', `manifest.${i.path.map(String).join('.')}: ${i.message}`.replace(/\.:/, ':'));
    }
    const { payload: m, signature } = p.data;
    const seen = { keyId: m.keyId, nonce: m.nonce };
    const k = this.keys.get(m.keyId);
    if (!k) return refuse('unknown-key', `key '${m.keyId}' is not configured`, seen);
    if (k.tenant !== m.tenant || m.tenant !== tenant) return refuse('wrong-tenant', `key '${m.keyId}' belongs to tenant '${k.tenant}'; manifest for '${m.tenant}', job for '${tenant}'`, seen);
    let ok: boolean;
    try {
      ok = verify(null, Buffer.from(canonicalJson(m)), k.key, Buffer.from(signature, 'base64'));
    } catch {
      ok = false;
    }
    if (!ok) return refuse('bad-signature', `signature does not verify with key '${m.keyId}'`, seen);
    if (m.jobHash !== hash) return refuse('job-tampered', `jobHash ${m.jobHash.slice(0, 12)}… differs from the job's ${hash.slice(0, 12)}…`, seen);
    const issued = Date.parse(m.issuedAt);
    if (nowMs - issued > this.o.maxAgeMs) return refuse('expired', `issued ${m.issuedAt}, more than ${this.o.maxAgeMs / 1000} s ago`, seen);
    if (issued - nowMs > this.o.maxSkewMs) return refuse('not-yet-valid', `issued ${m.issuedAt}, more than ${this.o.maxSkewMs / 1000} s ahead`, seen);
    if (nonceUsed(m.keyId, m.nonce)) return refuse('replayed-nonce', `nonce already used with key '${m.keyId}'`, seen);
    return { kind: 'verified', keyId: m.keyId, nonce: m.nonce, ...(m.modelHashes ? { modelHashes: m.modelHashes } : {}), report: { ...base, ...seen, verdict: 'verified' } };
  }
}
