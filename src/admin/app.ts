// The admin HTTP server: builds and returns the fastify instance, never listens (cli/runtime calls
// listen with config.admin.host/port; tests use inject()). One plugin per concern, each given the
// deps as plugin options; only the /api context carries the bearer-token hook.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AdminDeps } from './types.ts';
import { healthPlugin } from './plugins/health.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { apiPlugin } from './plugins/api.ts';
import { statusPagePlugin } from './plugins/status-page.ts';

export interface BuildAdminOptions {
  /** A pino logger for request logs (a child is fine); false or absent = silent. */
  logger?: Logger | false;
}

export async function buildAdmin(deps: AdminDeps, opts: BuildAdminOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = opts.logger
    ? (Fastify({ loggerInstance: opts.logger, disableRequestLogging: true }) as unknown as FastifyInstance)
    : Fastify({ logger: false });

  await app.register(healthPlugin, { deps });
  await app.register(metricsPlugin, { deps });
  await app.register(statusPagePlugin, { deps });
  await app.register(apiPlugin, { deps, prefix: '/api' });

  // Plain JSON for unknown paths, same shape as the API's errors.
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  return app;
}
