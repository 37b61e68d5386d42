import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { ErrorSchema, JobIdParamsSchema, JobRequestSchema, JobViewSchema, KillAllSchema, ListQuerySchema, OutputQuerySchema, OutputViewSchema } from './api-schema.ts';
import type { JobService, SubmitResult } from './job-service.ts';
import { sessionOpenApiPaths, sessionRoutes } from './session-routes.ts';
import type { SessionService } from './session-service.ts';
import { TERMINAL } from './state-store.ts';

/**
 * The HTTP edge (fastify). Each route validates its input with zod and makes one call on the
 * job service; it never changes state itself. Every error answer is
 * `{ error: { code, message, field? } }`; nothing a client sends can crash the process.
 */

export function fail(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: { code, message, ...(field !== undefined ? { field } : {}) } });
}

export function invalid(reply: FastifyReply, e: z.ZodError) {
  const i = e.issues[0];
  const field = i.path.map(String).join('.');
  return fail(reply, 400, 'invalid-request', `${field || '(body)'}: ${i.message}`, field || undefined);
}

export function unavailable(reply: FastifyReply, why: string) {
  const message =
    why === 'recovering' ? 'the service is recovering its state; try again shortly' : why === 'store-unavailable' ? 'the state store refused a commit; nothing of this request was kept (the service needs a restart)' : 'the service is shutting down';
  return fail(reply.header('retry-after', '1'), 503, why, message);
}

export function submitAnswer(reply: FastifyReply, r: SubmitResult) {
  switch (r.kind) {
    case 'created':
      return reply.code(201).send(r.job);
    case 'duplicate':
      return reply.code(200).send(r.job);
    case 'conflict':
      return fail(reply, 409, 'idempotency-conflict', `idempotencyKey was used for job ${r.jobId} with a different request`, 'idempotencyKey');
    case 'unknown-tenant':
      return fail(reply, 400, 'unknown-tenant', `tenant '${r.tenant}' is not configured`, 'tenant');
    case 'invalid':
      return fail(reply, 400, 'invalid-request', `${r.field}: ${r.message}`, r.field);
    case 'attestation':
      return fail(reply, r.status, r.code, r.message, r.field ?? 'manifest');
    case 'backpressure':
      return fail(reply.header('retry-after', String(r.retryAfterSec)), 429, r.reason, r.reason === 'queue-full' ? 'the queue is at its bound; retry later' : "the tenant's rate limit is reached; retry later");
    case 'paused':
      return fail(reply.header('retry-after', '60'), 503, 'paused', `admission is paused (kill switch: ${r.reason}); POST /v1/resume to resume`);
    case 'unavailable':
      return unavailable(reply, r.why);
    case 'child-refused':
      return fail(reply, r.status, r.code, r.message, r.field);
  }
}

/**
 * `GET /v1/jobs/:id/output?follow=1`: server-sent events — `snapshot` (what the current run printed
 * so far, bounded as stored output is; empty while queued), then `output` `{ stream, text }` as
 * it is printed, then `end` (the job's view, once its finish is committed), then the stream
 * closes. A finished job gets its stored output and `end` at once. A client that does not read is
 * dropped once its buffer passes `maxBuffer`.
 */
function followOutput(svc: JobService, req: IncomingMessage, reply: FastifyReply, id: string, maxBuffer: number) {
  const res = reply.raw;
  let off: (() => void) | undefined;
  const send = (event: string, data: unknown) => {
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > maxBuffer) {
      off?.();
      res.destroy();
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const end = () => {
    send('end', svc.job(id));
    res.end();
  };
  const empty = { text: '', bytes: 0, truncated: false };
  const open = () => {
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  };
  const j = svc.job(id)!;
  if (TERMINAL.has(j.state)) {
    const out = svc.output(id);
    open();
    send('snapshot', { attempt: out?.attempt ?? j.attempts, stdout: out?.stdout ?? empty, stderr: out?.stderr ?? empty });
    end();
    return reply;
  }
  off = svc.followOutput(id, { piece: (p) => send('output', p), end });
  if (!off) return fail(reply, 503, 'too-many-streams', 'output stream limit reached (admission.maxEventStreams)');
  open();
  const live = svc.liveOutput(id);
  send('snapshot', { attempt: j.attempts, stdout: live?.stdout ?? empty, stderr: live?.stderr ?? empty });
  req.on('close', () => off?.());
  return reply;
}

export function openApi(): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const err = { description: 'error', content: { 'application/json': { schema: schema(ErrorSchema) } } };
  const job = { content: { 'application/json': { schema: schema(JobViewSchema) } } };
  return {
    openapi: '3.1.0',
    info: { title: 'gpulab serve', version: '1' },
    paths: {
      '/v1/jobs': {
        post: {
          requestBody: { content: { 'application/json': { schema: schema(JobRequestSchema) } } },
          responses: { 201: { description: 'created', ...job }, 200: { description: 'the job an idempotencyKey made before', ...job }, 400: err, 401: err, 403: err, 409: err, 429: err, 503: err },
        },
        get: { parameters: Object.keys(ListQuerySchema.shape).map((name) => ({ name, in: 'query' })), responses: { 200: { description: 'a page of jobs' }, 400: err } },
      },
      '/v1/jobs/{id}': { get: { responses: { 200: { description: 'the job', ...job }, 404: err } } },
      '/v1/jobs/{id}/output': {
        get: {
          parameters: [{ name: 'attempt', in: 'query' }, { name: 'follow', in: 'query' }],
          responses: {
            200: {
              description:
                "the run's stdout and stderr (bounded: head and tail kept, `truncated` when the middle was dropped; `running: true` while the run goes on); with follow=1, text/event-stream: snapshot, output { stream, text }…, end",
              content: { 'application/json': { schema: schema(OutputViewSchema) } },
            },
            400: err,
            404: err,
            503: err,
          },
        },
      },
      '/v1/jobs/{id}/cancel': { post: { responses: { 200: { description: 'cancelled', ...job }, 404: err, 409: err } } },
      '/v1/kill-all': { post: { requestBody: { content: { 'application/json': { schema: schema(KillAllSchema) } } }, responses: { 200: { description: 'stopped' } } } },
      '/v1/resume': { post: { responses: { 200: { description: 'resumed' } } } },
      '/v1/events': { get: { responses: { 200: { description: 'text/event-stream of event log records' } } } },
      '/healthz': { get: { responses: { 200: { description: 'alive' } } } },
      '/readyz': { get: { responses: { 200: { description: 'ready' }, 503: err } } },
      '/metrics': { get: { responses: { 200: { description: 'Prometheus text' } } } },
      ...sessionOpenApiPaths(schema, err),
    },
  };
}

/** `sessions`: the session routes (`/v1/sessions…`, session-routes.ts); absent, they answer 404. */
export function buildServer(svc: JobService, o: { readonly maxBodyBytes: number; readonly maxStreamBufferBytes: number }, sessions?: SessionService): FastifyInstance {
  const app = Fastify({ bodyLimit: o.maxBodyBytes, logger: false, routerOptions: { maxParamLength: 200 }, return503OnClosing: true });

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const code =
      status === 413 ? 'body-too-large' : status === 415 ? 'unsupported-media-type' : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(err.message) ? 'bad-json' : status === 500 ? 'internal' : 'bad-request';
    return fail(reply, status, code, status === 500 ? 'internal error' : err.message);
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 'not-found', `no route ${req.method} ${req.url.slice(0, 200)}`));

  // While the service recovers (it listens first), every job route answers 503 `recovering`.
  app.addHook('onRequest', async (req, reply) => {
    if (svc.state === 'recovering' && req.url.startsWith('/v1/')) return unavailable(reply, 'recovering');
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => (svc.ready ? { ready: true, epoch: svc.epoch, ...(svc.pausedReason !== undefined ? { paused: svc.pausedReason } : {}) } : fail(reply, 503, svc.state, `not ready: ${svc.state}`)));
  app.get('/metrics', async (_req, reply) => reply.type(svc.metrics.registry.contentType).send(await svc.metrics.registry.metrics()));
  app.get('/openapi.json', async () => openApi());

  app.post('/v1/jobs', async (req, reply) => {
    const p = JobRequestSchema.safeParse(req.body);
    if (!p.success) return invalid(reply, p.error);
    return submitAnswer(reply, await svc.submit(p.data, req.body as Record<string, unknown>));
  });

  app.get('/v1/jobs', async (req, reply) => {
    const p = ListQuerySchema.safeParse(req.query);
    if (!p.success) return invalid(reply, p.error);
    return svc.list(p.data);
  });

  app.get('/v1/jobs/:id', async (req, reply) => {
    const p = JobIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const j = svc.job(p.data.id);
    return j ?? fail(reply, 404, 'not-found', `no job ${p.data.id}`, 'id');
  });

  app.get('/v1/jobs/:id/runs', async (req, reply) => {
    const p = JobIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    if (!svc.job(p.data.id)) return fail(reply, 404, 'not-found', `no job ${p.data.id}`, 'id');
    return { runs: svc.runs(p.data.id) };
  });

  app.get('/v1/jobs/:id/output', async (req, reply) => {
    const p = JobIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const q = OutputQuerySchema.safeParse(req.query);
    if (!q.success) return invalid(reply, q.error);
    const j = svc.job(p.data.id);
    if (!j) return fail(reply, 404, 'not-found', `no job ${p.data.id}`, 'id');
    if (q.data.follow === '1') {
      if (q.data.attempt !== undefined) return fail(reply, 400, 'invalid-request', 'follow: streams the current run; give no attempt with it', 'follow');
      return followOutput(svc, req.raw, reply, p.data.id, o.maxStreamBufferBytes);
    }
    if (q.data.attempt === undefined && j.state === 'running') {
      const live = svc.liveOutput(p.data.id);
      if (live) return { id: p.data.id, attempt: j.attempts, exitCode: null, running: true, stdout: live.stdout, stderr: live.stderr };
    }
    const out = svc.output(p.data.id, q.data.attempt);
    if (!out) return fail(reply, 404, 'no-output', q.data.attempt === undefined ? `job ${p.data.id} has no finished run yet (${j.state})` : `job ${p.data.id} has no output for run ${q.data.attempt}`);
    return { id: out.jobId, attempt: out.attempt, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr };
  });

  app.post('/v1/jobs/:id/cancel', async (req, reply) => {
    const p = JobIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const r = await svc.cancel(p.data.id);
    switch (r.kind) {
      case 'ok':
        return r.job;
      case 'not-found':
        return fail(reply, 404, 'not-found', `no job ${p.data.id}`, 'id');
      case 'finished':
        return fail(reply, 409, 'finished', `job ${p.data.id} has already ended (${r.state})`);
      case 'unavailable':
        return unavailable(reply, r.why);
    }
  });

  app.post('/v1/kill-all', async (req, reply) => {
    const p = KillAllSchema.safeParse(req.body);
    if (!p.success) return invalid(reply, p.error);
    const r = await svc.killAll(p.data.reason);
    return r.kind === 'ok' ? { stopped: r.stopped } : unavailable(reply, r.why);
  });

  app.post('/v1/resume', async (_req, reply) => {
    const r = await svc.resume();
    return r.kind === 'ok' ? { resumed: true } : unavailable(reply, r.why);
  });

  if (sessions) sessionRoutes(app, sessions);

  app.get('/v1/events', (req, reply) => {
    let off: (() => void) | undefined;
    const send = (line: string) => {
      // A client that does not read is dropped once its buffer passes the bound.
      if (reply.raw.writableLength > o.maxStreamBufferBytes) {
        off?.();
        reply.raw.destroy();
        return;
      }
      reply.raw.write(`data: ${line}\n\n`);
    };
    off = svc.subscribe(send);
    if (!off) return fail(reply, 503, 'too-many-streams', 'event stream limit reached (admission.maxEventStreams)');
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': gpulab events\n\n');
    req.raw.on('close', () => off?.());
  });

  return app;
}
