import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { z } from 'zod';
import type { JobSpec } from '../jobs/job.ts';
import { WorkSpecSchema } from './work-spec.ts';

/**
 * Signed job manifests: the job as canonical JSON (keys sorted) and an ed25519 signature over
 * those exact bytes, base64. Checked before admission; a bad one is refused with a reason.
 */
export const ManifestJobSchema = z.strictObject({
  tenant: z.string().min(1),
  cpu: z.number().int().nonnegative(),
  memory: z.number().int().nonnegative(),
  gpus: z.number().int().nonnegative(),
  milli: z.number().int().min(0).max(1000),
  duration: z.number().int().positive(),
  priority: z.number().int().default(0),
  work: WorkSpecSchema,
});

export interface SignedManifest {
  readonly payload: string;
  readonly signature: string;
}

export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const keys = Object.keys(x as object).filter((k) => (x as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

export function signManifest(job: z.input<typeof ManifestJobSchema>, privateKeyPem: string): SignedManifest {
  const payload = canonicalJson(job);
  return { payload, signature: sign(null, Buffer.from(payload), createPrivateKey(privateKeyPem)).toString('base64') };
}

export function newSigningKeys(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export type ManifestCheck = { kind: 'valid'; job: Omit<JobSpec, 'id' | 'submit'> } | { kind: 'invalid'; reason: string };

/** Verifies the signature against each trusted key, then validates the payload. Pure. */
export function verifyManifest(m: SignedManifest, trustedKeys: readonly string[]): ManifestCheck {
  if (typeof m.signature !== 'string' || m.signature.length === 0) return { kind: 'invalid', reason: 'unsigned: signature missing' };
  const sig = Buffer.from(m.signature, 'base64');
  const ok = trustedKeys.some((k) => {
    try {
      return verify(null, Buffer.from(m.payload), createPublicKey(k), sig);
    } catch {
      return false;
    }
  });
  if (!ok) return { kind: 'invalid', reason: 'bad signature: not signed by a trusted key' };
  let data: unknown;
  try {
    data = JSON.parse(m.payload);
  } catch (e) {
    return { kind: 'invalid', reason: `manifest payload is not JSON: ${(e as Error).message}` };
  }
  const r = ManifestJobSchema.safeParse(data);
  if (!r.success) return { kind: 'invalid', reason: `manifest: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const j = r.data;
  return { kind: 'valid', job: { tenant: j.tenant, cpu: j.cpu, memory: j.memory, gpus: j.gpus, milli: j.gpus === 0 ? 0 : j.milli, duration: j.duration, priority: j.priority, work: j.work } };
}
