import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonLogger } from '../../src/live/json-log.ts';
import { checkLogLine, type LogRecord } from '../../src/log/records.ts';
import { buildServer } from '../../src/service/http.ts';
import { JobService } from '../../src/service/job-service.ts';
import { SessionService } from '../../src/service/session-service.ts';
import type { ServiceConfig } from '../../src/service/config.ts';
import { testConfig } from '../service-helpers.ts';

/** A job service with sessions and its fastify app on `dir` (dev mode: no attestation). */
export async function startSessionService(dir: string, over: Record<string, unknown>) {
  const cfg: ServiceConfig = testConfig(dir, over);
  const logger = new JsonLogger({ write: () => undefined });
  const svc = await JobService.open({ config: cfg, dev: true, logger });
  const sessions = new SessionService(svc, cfg, logger);
  await sessions.start();
  const app = buildServer(svc, cfg.admission, sessions);
  const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
  const del = (id: string) => app.inject({ method: 'DELETE', url: `/v1/sessions/${id}` });
  return { svc, sessions, app, post, del, close: async () => (await sessions.close(), await svc.close(0), await app.close()) };
}

/** Every record of the service's event log for `epoch`, each line checked by the log's schema. */
export function serviceRecords(dir: string, epoch: number): LogRecord[] {
  const text = readFileSync(join(dir, 'runs', `epoch-${epoch}`, 'events.jsonl'), 'utf8');
  const out: LogRecord[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const o = checkLogLine(line);
    if (o.kind === 'blank') continue;
    if (o.kind !== 'record') throw new Error(`epoch-${epoch}/events.jsonl:${i + 1}: ${JSON.stringify(o)}`);
    out.push(o.record);
  }
  return out;
}

/** Cold and warm starts of a run, counted from its start records' `warm` field (live and simulated alike). */
export function startCounts(records: readonly LogRecord[]): { cold: number; warm: number } {
  let cold = 0;
  let warm = 0;
  for (const r of records) if (r.ev === 'start' && r.warm !== undefined) r.warm ? warm++ : cold++;
  return { cold, warm };
}

export async function until(f: () => boolean, ms = 10_000): Promise<boolean> {
  for (let t = 0; t < ms && !f(); t += 10) await new Promise((r) => setTimeout(r, 10));
  return f();
}
