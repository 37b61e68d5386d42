import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLogger } from '../src/live/json-log.ts';
import { checkLogLine, type LogRecord } from '../src/log/records.ts';
import type { JobRequest } from '../src/service/api-schema.ts';
import { JobService } from '../src/service/job-service.ts';
import { tempState, testConfig } from './service-helpers.ts';

// The job tree in the service's event log (runs/epoch-N/events.jsonl, what the viewer replays):
// a child's arrival record carries `parent` and `depth`, a top-level job's carries neither, and a
// queued child that recovery puts back in the queue after a restart arrives again with both.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sleep = (ms: number): JobRequest => ({ tenant: 'team-a', work: { kind: 'sleep', ms }, gpus: 0, milli: 1000, cpuMilli: 1000, memoryMiB: 64, priority: 0 });
const open = (dir: string) =>
  JobService.open({
    config: testConfig(dir, { cluster: { nodes: [{ prefix: 'cpu-', count: 1, cpu: 2000, memory: 8192 }] }, admission: { maxQueue: 50 }, children: { maxDepth: 3 } }),
    dev: true,
    logger: new JsonLogger({ write: () => undefined }),
  });
async function until(f: () => boolean, ms = 5000) {
  for (let t = 0; t < ms && !f(); t += 20) await new Promise((r) => setTimeout(r, 20));
  expect(f()).toBe(true);
}
/** The arrival records of an epoch's log, each line checked by the log's schema. */
function arrivals(dir: string, epoch: number): Extract<LogRecord, { ev: 'arrival' }>[] {
  const text = readFileSync(join(dir, 'runs', `epoch-${epoch}`, 'events.jsonl'), 'utf8');
  const out: Extract<LogRecord, { ev: 'arrival' }>[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const o = checkLogLine(line);
    if (o.kind === 'blank') continue;
    if (o.kind !== 'record') throw new Error(`epoch-${epoch}/events.jsonl:${i + 1}: ${JSON.stringify(o)}`);
    if (o.record.ev === 'arrival') out.push(o.record);
  }
  return out;
}

describe('child jobs in the event log', () => {
  it('arrival records carry parent and depth for a child and a grandchild, none for the root; a recovered child keeps them', async () => {
    const dir = tempState();
    dirs.push(dir);
    let svc = await open(dir);
    let root = '';
    let child = '';
    let grand = '';
    try {
      const p = (await svc.submit(sleep(60_000))) as { job: { id: string } };
      root = p.job.id;
      await until(() => svc.job(root)?.state === 'running');
      const c = (await svc.submitChild(sleep(60_000), {}, svc.tokens.issue({ parentId: root, tenant: 'team-a' }))) as { job: { id: string } };
      child = c.job.id;
      await until(() => svc.job(child)?.state === 'running');
      // The node is full (2 × 1000 m): the grandchild stays queued until the restart below.
      const g = (await svc.submitChild(sleep(60_000), {}, svc.tokens.issue({ parentId: child, tenant: 'team-a' }))) as { job: { id: string } };
      grand = g.job.id;
      expect(svc.job(grand)?.state).toBe('queued');
    } finally {
      await svc.close(0);
    }
    const first = arrivals(dir, 1);
    expect(first.map((a) => a.job)).toEqual([root, child, grand]);
    expect(first[0]).not.toHaveProperty('parent');
    expect(first[0]).not.toHaveProperty('depth');
    expect(first[1]).toMatchObject({ job: child, parent: root, depth: 1 });
    expect(first[2]).toMatchObject({ job: grand, parent: child, depth: 2 });

    // Epoch 2: the unfinished jobs arrive again in the new epoch's log, the tree intact.
    svc = await open(dir);
    try {
      await until(() => svc.job(grand) !== undefined);
    } finally {
      await svc.close(0);
    }
    const second = new Map(arrivals(dir, 2).map((a) => [a.job, a]));
    expect(second.get(grand)).toMatchObject({ parent: child, depth: 2 });
    if (second.has(child)) expect(second.get(child)).toMatchObject({ parent: root, depth: 1 });
    if (second.has(root)) expect(second.get(root)).not.toHaveProperty('parent');
  }, 30_000);
});
