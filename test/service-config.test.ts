import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig } from '../src/service/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'gpulab-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

function config(keys: string): string {
  const file = join(dir, 'conf', `c${Math.random().toString(36).slice(2)}.yaml`);
  mkdirSync(join(dir, 'conf'), { recursive: true });
  writeFileSync(file, `cluster: { nodes: [{ prefix: n-, cpu: 1000, memory: 1024 }] }\ntenants:\n  - name: team-a\n    keys: ${keys}\n`);
  return file;
}

describe('service config: tenant keys from files', () => {
  it('publicKeyFile is read relative to the config file into publicKey', () => {
    mkdirSync(join(dir, 'keys'), { recursive: true });
    writeFileSync(join(dir, 'keys', 'a.pub'), pem);
    const c = loadServiceConfig(config('[{ id: a-1, publicKeyFile: ../keys/a.pub }]'));
    expect(c.tenants[0].keys).toEqual([{ id: 'a-1', publicKey: pem }]);
  });

  it('a missing file, a non-string and both fields are errors naming the file and the field', () => {
    const missing = config('[{ id: a-1, publicKeyFile: ../keys/none.pub }]');
    expect(() => loadServiceConfig(missing)).toThrow(ConfigError);
    expect(() => loadServiceConfig(missing)).toThrow(new RegExp(`^${missing}: tenants\\.0\\.keys\\.0\\.publicKeyFile: cannot read .*none\\.pub: ENOENT$`));
    expect(() => loadServiceConfig(config('[{ id: a-1, publicKeyFile: 7 }]'))).toThrow(/tenants\.0\.keys\.0\.publicKeyFile: expected a file name$/);
    expect(() => loadServiceConfig(config('[{ id: a-1, publicKey: x, publicKeyFile: ../keys/a.pub }]'))).toThrow(/tenants\.0\.keys\.0\.publicKeyFile: give publicKey or publicKeyFile, not both$/);
  });

  it('the shipped configs parse; serve-signed.yaml reads the keys npm run sign -- --keygen .gpulab/keys/<tenant> writes', () => {
    expect(loadServiceConfig('config/serve-dev.yaml').attestation.required).toBe(false);
    const root = join(dir, 'repo');
    mkdirSync(join(root, 'config'), { recursive: true });
    mkdirSync(join(root, '.gpulab', 'keys'), { recursive: true });
    writeFileSync(join(root, 'config', 'serve-signed.yaml'), readFileSync('config/serve-signed.yaml'));
    for (const t of ['team-a', 'team-b']) writeFileSync(join(root, '.gpulab', 'keys', `${t}.pub`), `${t} ${pem}`);
    const c = loadServiceConfig(join(root, 'config', 'serve-signed.yaml'));
    expect(c.attestation.required).toBe(true);
    expect(c.tenants.map((t) => t.keys)).toEqual([[{ id: 'team-a-1', publicKey: `team-a ${pem}` }], [{ id: 'team-b-1', publicKey: `team-b ${pem}` }]]);
  });
});
