// GET /metrics: Prometheus text from the injected registry (never prom-client's global one).
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from '../types.ts';
import { textSchema } from '../schemas.ts';

export interface MetricsPluginOptions {
  deps: AdminDeps;
}

export async function metricsPlugin(app: FastifyInstance, opts: MetricsPluginOptions): Promise<void> {
  const { registry } = opts.deps.metrics;

  app.get('/metrics', { schema: { response: { 200: textSchema } } }, async (_req, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
