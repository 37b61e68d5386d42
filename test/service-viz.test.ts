import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../viz/server/manifest.ts';
import { startService, tempState, testConfig } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run viz -- <state dir> opens the service runs', () => {
  it("lists each epoch's events.jsonl as a live run, and nothing from the jobs' work directories", async () => {
    const cfg = testConfig(dir);
    for (let epoch = 1; epoch <= 2; epoch++) {
      const s = await startService(cfg, true);
      const id = (await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', work: { kind: 'sleep', ms: 20 } } })).json().id;
      for (let i = 0; i < 100 && (await s.app.inject(`/v1/jobs/${id}`)).json().state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 20));
      await s.close();
    }
    // A job may leave a file of that name in its working directory: never a run.
    mkdirSync(join(dir, 'work', 'epoch-2', 'w9'), { recursive: true });
    writeFileSync(join(dir, 'work', 'epoch-2', 'w9', 'events.jsonl'), '{"ev":"run"}\n');
    const m = buildManifest(dir, true);
    expect(m.runs.map((r) => [r.run, r.log, r.liveRun])).toEqual([
      ['runs/epoch-1', 'runs/epoch-1/events.jsonl', true],
      ['runs/epoch-2', 'runs/epoch-2/events.jsonl', true],
    ]);
    expect(m.kind).toBe('live');
    const first = JSON.parse(readFileSync(join(dir, 'runs', 'epoch-2', 'events.jsonl'), 'utf8').split('\n')[0]);
    expect(first).toMatchObject({ ev: 'run', mode: 'live', run: 'serve/epoch-2' });
  });
});
