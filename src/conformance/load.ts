import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { placementPolicyNames, queuePolicyNames } from '../scheduler/registry.ts';
import { registeredSubject, subjectFor, type NamedSubject } from './kit.ts';

/** A policy module could not be used: the message names the file. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

type AnyPolicy = QueuePolicy | PlacementPolicy;

function isPolicy(x: unknown): x is AnyPolicy {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.name === 'string' && (typeof o.place === 'function' || typeof o.order === 'function');
}

/**
 * The policies a module exports as objects, plus those it registers by name (built by their
 * factory, so the kit can make fresh instances). Works for ESM and CommonJS files alike.
 */
export async function subjectsOfFile(file: string): Promise<NamedSubject[]> {
  const beforeQ = new Set(queuePolicyNames());
  const beforeP = new Set(placementPolicyNames());
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new PolicyFileError(`${file}: no such file`);
  }
  if (!isFile) throw new PolicyFileError(`${file}: not a file (a policy module, .ts or .js)`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new PolicyFileError(`${file}: cannot import: ${(e as Error).message}`);
  }
  const found = new Map<string, NamedSubject>();
  // A CommonJS module's exports may arrive under `default` as well: look at both.
  const values = [...Object.values(mod), ...(mod.default && typeof mod.default === 'object' ? Object.values(mod.default as object) : [])];
  for (const n of queuePolicyNames()) if (!beforeQ.has(n)) found.set(`q:${n}`, registeredSubject('queue', n));
  for (const n of placementPolicyNames()) if (!beforeP.has(n)) found.set(`p:${n}`, registeredSubject('placement', n));
  for (const v of values) {
    if (!isPolicy(v)) continue;
    const kind = 'place' in v ? 'placement' : 'queue';
    const key = `${kind === 'placement' ? 'p' : 'q'}:${v.name}`;
    if (!found.has(key)) found.set(key, { kind, name: v.name, label: v.name, params: {}, subject: subjectFor(v) });
  }
  return [...found.values()];
}
