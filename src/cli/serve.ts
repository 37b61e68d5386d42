import { fileURLToPath } from 'node:url';
import { JsonLogger } from '../live/json-log.ts';
import { ConfigError, loadServiceConfig, type ServiceConfig } from '../service/config.ts';
import { buildServer } from '../service/http.ts';
import { JobService } from '../service/job-service.ts';
import { SessionService } from '../service/session-service.ts';
import { listenChildApi, socketPath } from '../service/child-jobs.ts';
import { intFlag, parseCli } from './args.ts';
import { UsageError } from './main.ts';

const HELP = `usage: npm run serve -- [--config FILE] [--port N] [--host H] [--state DIR] [--max-queue N] [--dev]

Starts the gpulab job service: an HTTP API (POST/GET /v1/jobs, cancel, kill-all, events, healthz,
readyz, metrics, openapi.json; sessions: POST/GET/DELETE /v1/sessions, exec) in front of the live scheduler core and sandboxed executor, with
its state in SQLite under the state directory (survives kill -9; see README "Run the service").
  --config FILE   service config (YAML; src/service/config.ts)
  --dev           the shipped config/serve-dev.yaml (small CPU cluster, two tenants, attestation OFF)
  --port N        listen port (default: config, else 8080; 0 picks a free one)
  --host H        listen address (default 127.0.0.1)
  --state DIR     state directory (default .gpulab/state)
  --max-queue N   queued jobs at most (429 above)
Logs are JSON lines on stderr; the first stdout line is 'listening on http://HOST:PORT'.`;

const DEV_CONFIG = fileURLToPath(new URL('../../config/serve-dev.yaml', import.meta.url));

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2), {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    state: { type: 'string' },
    'max-queue': { type: 'string' },
    dev: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (args.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const dev = args.values.dev;
  const file = args.values.config ?? (dev ? DEV_CONFIG : undefined);
  if (!file) throw new UsageError('give --config FILE, or --dev for the local development config');
  const base = loadServiceConfig(file);
  const cfg: ServiceConfig = {
    ...base,
    listen: {
      host: args.values.host ?? base.listen.host,
      port: args.values.port !== undefined ? intFlag('--port', args.values.port, 0, 65535) : base.listen.port,
    },
    stateDir: args.values.state ?? base.stateDir,
    admission: { ...base.admission, ...(args.values['max-queue'] !== undefined ? { maxQueue: intFlag('--max-queue', args.values['max-queue'], 1, 10_000_000) } : {}) },
  };
  const log = new JsonLogger({ write: (l) => process.stderr.write(l) }).child({ service: 'gpulab-serve' });
  const attestationOff = dev || !cfg.attestation.required;
  if (attestationOff) {
    const msg = 'ATTESTATION IS OFF: any client that reaches this port can run jobs as any tenant. Development only.';
    log.warn(msg, { dev });
    process.stderr.write(`\n*** ${msg} ***\n\n`);
  }
  const app: { closing: boolean; childApi?: { close(): Promise<unknown> } } = { closing: false };
  // Listen first (healthz answers, readyz and the job routes answer 503 `recovering`), then
  // reap and recover, then ready.
  const svc = JobService.create({ config: cfg, dev, logger: log });
  const sessions = new SessionService(svc, cfg, log.child({ part: 'sessions' }));
  const server = buildServer(svc, cfg.admission, sessions);
  const stop = async (sig: string) => {
    if (app.closing) {
      log.warn('second signal: stopping at once', { signal: sig });
      process.exit(130);
    }
    app.closing = true;
    log.info('stopping: no new jobs, draining', { signal: sig, graceSec: cfg.drainGraceSec });
    await sessions.close();
    await svc.close();
    await server.close();
    await app.childApi?.close();
    log.info('stopped', {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const addr = await server.listen({ host: cfg.listen.host, port: cfg.listen.port });
  log.info('listening', { addr, epoch: svc.epoch, state: cfg.stateDir, events: svc.eventsFile });
  process.stdout.write(`listening on ${addr}\n`);
  await svc.recover();
  await sessions.start();
  app.childApi = await listenChildApi(svc, cfg);
  log.info('child-job API', { socket: socketPath(cfg), maxDepth: cfg.children.maxDepth });
  log.info('ready', { addr, epoch: svc.epoch, recovery: svc.recovery && { ...svc.recovery, reaped: undefined } });
  process.stdout.write(`ready (epoch ${svc.epoch})\n`);
  return await new Promise<number>(() => {});
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    }
    process.stderr.write(`error: ${(e as Error).message}\n${process.env.GPULAB_DEBUG === '1' ? `${(e as Error).stack}\n` : ''}`);
    process.exit(1);
  },
);
