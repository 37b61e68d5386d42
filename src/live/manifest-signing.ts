import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.ts';

/**
 * Signed job manifests: a submitter signs the canonical JSON of its manifest with an ed25519 key;
 * the live driver checks the signature against its trusted keys before admission, so a job that
 * was altered, or signed by a key nobody trusts, never reaches the scheduler. `node:crypto` only.
 */
export const SignedManifestSchema = z.strictObject({
  /** Version of this envelope. */
  v: z.literal(1),
  /** Names the trusted public key that must verify `sig`. */
  keyId: z.string().min(1),
  /** The manifest itself (a job description); signed as canonical JSON. */
  manifest: z.record(z.string(), z.unknown()),
  /** ed25519 signature over `canonicalJson(manifest)`, base64. */
  sig: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});
export type SignedManifest = z.infer<typeof SignedManifestSchema>;

export type ManifestCheck =
  | { readonly kind: 'valid'; readonly keyId: string; readonly manifest: Readonly<Record<string, unknown>> }
  | { readonly kind: 'invalid'; readonly reason: 'malformed' | 'unknown-key' | 'bad-signature'; readonly detail: string };

export interface SigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** SPKI PEM, what a verifier is configured with. */
  readonly publicKeyPem: string;
}

/** A fresh ed25519 key pair (tests, `gpulab` tooling). */
export function generateSigningKey(keyId: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId, privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Loads a PKCS#8 PEM private key for signing. */
export function loadSigningKey(keyId: string, privatePem: string): SigningKey {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`key ${keyId}: expected an ed25519 key, got ${privateKey.asymmetricKeyType}`);
  return { keyId, privateKey, publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
}

/** Signs a manifest. Pure apart from the key; ed25519 signatures are deterministic. */
export function signManifest(manifest: Readonly<Record<string, unknown>>, key: SigningKey): SignedManifest {
  const sig = sign(null, Buffer.from(canonicalJson(manifest)), key.privateKey).toString('base64');
  return { v: 1, keyId: key.keyId, manifest: { ...manifest }, sig };
}

/** Checks envelopes against a fixed set of trusted public keys (keyId → SPKI PEM). */
export class ManifestVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(trusted: Readonly<Record<string, string>>) {
    for (const [id, pem] of Object.entries(trusted)) {
      const k = createPublicKey(pem);
      if (k.asymmetricKeyType !== 'ed25519') throw new Error(`trusted key ${id}: expected ed25519, got ${k.asymmetricKeyType}`);
      this.keys.set(id, k);
    }
  }

  /** Validates the envelope's shape, then the signature. Never throws on untrusted input. */
  check(input: unknown): ManifestCheck {
    const p = SignedManifestSchema.safeParse(input);
    if (!p.success) {
      const detail = p.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
      return { kind: 'invalid', reason: 'malformed', detail };
    }
    const env = p.data;
    const key = this.keys.get(env.keyId);
    if (!key) return { kind: 'invalid', reason: 'unknown-key', detail: `key '${env.keyId}' is not trusted` };
    let body: string;
    try {
      body = canonicalJson(env.manifest);
    } catch (e) {
      return { kind: 'invalid', reason: 'malformed', detail: (e as Error).message };
    }
    const ok = verify(null, Buffer.from(body), key, Buffer.from(env.sig, 'base64'));
    if (!ok) return { kind: 'invalid', reason: 'bad-signature', detail: `signature does not verify with key '${env.keyId}'` };
    return { kind: 'valid', keyId: env.keyId, manifest: env.manifest };
  }
}
