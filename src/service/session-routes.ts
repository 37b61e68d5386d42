import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CreateSessionSchema, ExecRequestSchema } from '../sessions/api-schema.ts';
import { fail, invalid, submitAnswer } from './http.ts';
import type { SessionRefusal, SessionService } from './session-service.ts';

/**
 * The session routes: `POST /v1/sessions`, `POST /v1/sessions/:id/exec`, `GET /v1/sessions/:id`,
 * `GET /v1/sessions?tenant=`, `DELETE /v1/sessions/:id`. Each validates with zod and makes one
 * call on the session service; errors are `{ error: { code, message, field? } }` as elsewhere.
 */
const SessionIdParamsSchema = z.strictObject({ id: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'a session id') });
const SessionListQuerySchema = z.strictObject({
  tenant: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
/** The create body: a signed `manifest` beside it when attestation is on (as for jobs). */
const CreateBodySchema = CreateSessionSchema.extend({ manifest: z.unknown().optional() });

export const SessionViewSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  template: z.string(),
  node: z.string(),
  state: z.enum(['ready', 'busy', 'ended']),
  cold: z.boolean(),
  jobId: z.string().optional(),
  createdAt: z.number(),
  lastActiveAt: z.number(),
  idleTimeoutSec: z.number(),
  maxLifetimeSec: z.number(),
  execs: z.number(),
  workerStartMs: z.number(),
  endedAt: z.number().optional(),
  endReason: z.string().optional(),
});
export const ExecViewSchema = z.object({ exitCode: z.number().int(), stdout: z.string(), stderr: z.string(), durationMs: z.number(), truncated: z.boolean(), timedOut: z.boolean() });

function refusal(reply: FastifyReply, r: SessionRefusal) {
  if (r.retryAfterSec !== undefined) reply.header('retry-after', String(r.retryAfterSec));
  return fail(reply, r.status, r.code, r.message, r.field);
}

export function sessionRoutes(app: FastifyInstance, s: SessionService): void {
  app.post('/v1/sessions', async (req, reply) => {
    const p = CreateBodySchema.safeParse(req.body);
    if (!p.success) return invalid(reply, p.error);
    const { manifest: _m, ...body } = p.data;
    const r = await s.create(body, req.body as Record<string, unknown>);
    if (r.kind === 'created') return reply.code(201).send(r.session);
    if (r.kind === 'submit') return submitAnswer(reply, r.result);
    return refusal(reply, r);
  });

  app.get('/v1/sessions', async (req, reply) => {
    const q = SessionListQuerySchema.safeParse(req.query);
    if (!q.success) return invalid(reply, q.error);
    return { sessions: s.list(q.data.tenant, q.data.limit) };
  });

  app.get('/v1/sessions/:id', async (req, reply) => {
    const p = SessionIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    return s.get(p.data.id) ?? fail(reply, 404, 'not-found', `no session '${p.data.id}'`, 'id');
  });

  app.post('/v1/sessions/:id/exec', async (req, reply) => {
    const p = SessionIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const b = ExecRequestSchema.safeParse(req.body);
    if (!b.success) return invalid(reply, b.error);
    const r = await s.exec(p.data.id, b.data);
    return r.kind === 'ok' ? r.result : refusal(reply, r);
  });

  app.delete('/v1/sessions/:id', async (req, reply) => {
    const p = SessionIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const r = await s.end(p.data.id, 'deleted');
    return r.kind === 'ended' ? r.session : refusal(reply, r);
  });
}

/** The session routes in `/openapi.json`. */
export function sessionOpenApiPaths(schema: (s: z.ZodType) => unknown, err: Record<string, unknown>): Record<string, unknown> {
  const session = { content: { 'application/json': { schema: schema(SessionViewSchema) } } };
  return {
    '/v1/sessions': {
      post: {
        requestBody: { content: { 'application/json': { schema: schema(CreateBodySchema) } } },
        responses: { 201: { description: 'created: { id, node, state, cold, … }', ...session }, 400: err, 401: err, 403: err, 429: err, 503: err },
      },
      get: { parameters: [{ name: 'tenant', in: 'query' }, { name: 'limit', in: 'query' }], responses: { 200: { description: '{ sessions: [...] }, newest `limit`, oldest first' }, 400: err } },
    },
    '/v1/sessions/{id}': {
      get: { responses: { 200: { description: 'the session', ...session }, 404: err } },
      delete: { responses: { 200: { description: 'ended (reason deleted); its worker reclaimed', ...session }, 404: err } },
    },
    '/v1/sessions/{id}/exec': {
      post: {
        requestBody: { content: { 'application/json': { schema: schema(ExecRequestSchema) } } },
        responses: { 200: { description: 'the exec\'s result', content: { 'application/json': { schema: schema(ExecViewSchema) } } }, 400: err, 404: err, 409: err, 410: err, 502: err, 503: err },
      },
    },
  };
}
