import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { JobIdParamsSchema, JobRequestSchema } from './api-schema.ts';
import type { ChildTokens } from './child-token.ts';
import type { ServiceConfig } from './config.ts';
import { fail, invalid, submitAnswer } from './http.ts';
import type { JobService } from './job-service.ts';
import type { SubmitResult } from './service-results.ts';

/**
 * Child jobs. A command job (and every exec of a session) runs with `GPULAB_TOKEN` (a scoped token: its job id and tenant,
 * HMAC-signed, child-token.ts) and `GPULAB_API=unix:<socket>` in its environment. Jobs run with
 * `network: none` in their own network namespace, where no TCP port of the host is reachable; a
 * unix socket bound in the file system is (path sockets are not per network namespace, and the
 * read-only root still allows connect()). So the service listens on a second, unix socket that
 * answers only `POST /v1/jobs` and `GET /v1/jobs/:id`, each with `authorization: Bearer TOKEN`:
 * the child runs as the token's tenant (a request naming another is refused), carries `parentId`
 * and `depth` (the parent's + 1; refused beyond `children.maxDepth`), and is admitted like any
 * job (quota, queue bound, rate limit, kill switch). A token is refused once its job has ended.
 * Cancelling a job cancels its unfinished descendants; so does the kill switch.
 */
export function socketPath(c: ServiceConfig): string {
  return resolve(c.children.socket ?? join(c.stateDir, 'api.sock'));
}

/** The variables a job gets for submitting children. */
export function childEnv(tokens: ChildTokens, socket: string, jobId: string, tenant: string): Record<string, string> {
  return { GPULAB_TOKEN: tokens.issue({ parentId: jobId, tenant }), GPULAB_API: `unix:${socket}`, GPULAB_JOB_ID: jobId };
}

/** A parent as the token check sees it: a job (its depth) or a session (depth 0); `running` while a token of it is valid. */
export interface ParentState {
  readonly id: string;
  readonly running: boolean;
  readonly state: string;
  readonly depth: number;
}

/** The parent a token names, or the refusal (pure but for the look-up). */
export function childParent(token: string | undefined, tenant: string, tokens: ChildTokens, parent: (id: string) => ParentState | undefined, maxDepth: number): { kind: 'ok'; id: string; depth: number } | Extract<SubmitResult, { kind: 'child-refused' }> {
  const refuse = (status: 401 | 403, code: string, message: string, field?: string) => ({ kind: 'child-refused' as const, status, code, message, ...(field ? { field } : {}) });
  const claims = token === undefined ? undefined : tokens.verify(token);
  if (!claims) return refuse(401, 'bad-token', 'authorization: Bearer GPULAB_TOKEN (the token the job found in its environment) is missing or invalid');
  if (claims.tenant !== tenant) return refuse(403, 'wrong-tenant', `the token is for tenant '${claims.tenant}'; a child runs as its parent's tenant`, 'tenant');
  const p = parent(claims.parentId);
  if (!p || !p.running) return refuse(403, 'parent-ended', `${claims.parentId} is ${p?.state ?? 'unknown'}: its token is valid only while it runs`);
  const depth = p.depth + 1;
  if (depth > maxDepth) return refuse(403, 'max-depth', `a child of ${p.id} would be at depth ${depth}; children.maxDepth is ${maxDepth}`);
  return { kind: 'ok', id: p.id, depth };
}

function bearer(h: string | undefined): string | undefined {
  const m = /^Bearer (\S+)$/.exec(h ?? '');
  return m?.[1];
}

/** The unix-socket API for jobs (POST /v1/jobs, GET /v1/jobs/:id, token required). Listening when it resolves. */
export async function listenChildApi(svc: JobService, c: ServiceConfig): Promise<FastifyInstance> {
  const path = socketPath(c);
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  const app = Fastify({ bodyLimit: c.admission.maxBodyBytes, logger: false });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => fail(reply, err.statusCode && err.statusCode < 500 ? err.statusCode : 500, 'bad-request', err.message));
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 'not-found', `no route ${req.method} ${req.url.slice(0, 200)} (this socket serves POST /v1/jobs and GET /v1/jobs/:id)`));
  app.post('/v1/jobs', async (req, reply) => {
    const p = JobRequestSchema.safeParse(req.body);
    if (!p.success) return invalid(reply, p.error);
    return submitAnswer(reply, await svc.submitChild(p.data, req.body as Record<string, unknown>, bearer(req.headers.authorization)));
  });
  app.get('/v1/jobs/:id', async (req, reply) => {
    const p = JobIdParamsSchema.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const claims = svc.tokens.verify(bearer(req.headers.authorization) ?? '');
    if (!claims) return fail(reply, 401, 'bad-token', 'authorization: Bearer GPULAB_TOKEN is missing or invalid');
    const j = svc.job(p.data.id);
    return j && j.tenant === claims.tenant ? j : fail(reply, 404, 'not-found', `no job ${p.data.id} of tenant ${claims.tenant}`, 'id');
  });
  await app.listen({ path });
  // Jobs run as nobody: the socket must be writable by them (the token is the credential).
  chmodSync(path, 0o666);
  return app;
}
