import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { canonicalJson, jobHash } from '../service/attestation.ts';
import { parseCli } from './args.ts';
import { UsageError } from './main.ts';

const HELP = `usage: npm run sign -- --key FILE --key-id ID [--tenant T] [--models-dir DIR] [JOB.json | -]
       npm run sign -- --keygen NAME

Signs a job request for gpulab serve: reads the request (JSON, from the file or stdin) and prints
it with its manifest — { payload: { tenant, keyId, jobHash, issuedAt, nonce, modelHashes? },
signature } — signed with Ed25519 over the payload's RFC 8785 canonical JSON.
  --key FILE        the private key (PKCS#8 PEM, as --keygen writes it)
  --key-id ID       the key's id in the service config (tenants[].keys[].id)
  --tenant T        the manifest's tenant (default: the job's)
  --models-dir DIR  sign the sha256 of each file the job names in "models" (paths inside DIR)
  --keygen NAME     write a new key pair: NAME.key (private, mode 600) and NAME.pub (public, SPKI PEM)`;

function readJob(file: string | undefined): Record<string, unknown> {
  const where = file === undefined || file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`${where}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let job: unknown;
  try {
    job = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${where}: not JSON: ${(e as Error).message}`);
  }
  if (typeof job !== 'object' || job === null || Array.isArray(job)) throw new UsageError(`${where}: expected a JSON object (a job request)`);
  if (typeof (job as { tenant?: unknown }).tenant !== 'string') throw new UsageError(`${where}: field tenant: expected a string`);
  return job as Record<string, unknown>;
}

function modelHashes(job: Record<string, unknown>, dir: string): Record<string, string> {
  const models = job.models;
  if (!Array.isArray(models) || !models.every((m) => typeof m === 'string')) throw new UsageError('--models-dir: the job has no "models" list of file names');
  const out: Record<string, string> = {};
  for (const m of models as string[]) {
    try {
      out[m] = createHash('sha256').update(readFileSync(join(dir, m))).digest('hex');
    } catch (e) {
      throw new UsageError(`--models-dir: model '${m}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return out;
}

function main(): number {
  const args = parseCli(process.argv.slice(2), {
    key: { type: 'string' },
    'key-id': { type: 'string' },
    tenant: { type: 'string' },
    'models-dir': { type: 'string' },
    keygen: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const v = args.values;
  if (v.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (v.keygen !== undefined) {
    mkdirSync(dirname(resolve(v.keygen)), { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(`${v.keygen}.key`, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    writeFileSync(`${v.keygen}.pub`, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    process.stdout.write(`wrote ${v.keygen}.key (private) and ${v.keygen}.pub (public: the config's tenants[].keys[].publicKeyFile)\n`);
    return 0;
  }
  if (v.key === undefined || v['key-id'] === undefined) throw new UsageError('give --key FILE and --key-id ID (or --keygen NAME); --help for more');
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument '${args.positionals[1]}'`);
  let key;
  try {
    key = createPrivateKey(readFileSync(v.key, 'utf8'));
  } catch (e) {
    throw new UsageError(`--key ${v.key}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`--key ${v.key}: expected an ed25519 key, got ${key.asymmetricKeyType}`);
  const { manifest: _old, ...job } = readJob(args.positionals[0]);
  const payload = {
    tenant: v.tenant ?? (job.tenant as string),
    keyId: v['key-id'],
    jobHash: jobHash(job),
    issuedAt: new Date().toISOString(),
    nonce: randomUUID(),
    ...(v['models-dir'] !== undefined ? { modelHashes: modelHashes(job, v['models-dir']) } : {}),
  };
  const signature = sign(null, Buffer.from(canonicalJson(payload)), key).toString('base64');
  process.stdout.write(JSON.stringify({ ...job, manifest: { payload, signature } }) + '\n');
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
