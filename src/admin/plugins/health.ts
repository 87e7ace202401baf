// GET /healthz (liveness) and GET /readyz (readiness). No token: load balancers and orchestrators
// poll these, and they reveal nothing beyond up/ready.
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from '../types.ts';
import { healthSchema } from '../schemas.ts';
import { gatewayPhase } from '../status.ts';

export interface HealthPluginOptions {
  deps: AdminDeps;
}

export async function healthPlugin(app: FastifyInstance, opts: HealthPluginOptions): Promise<void> {
  const { deps } = opts;

  app.get('/healthz', { schema: { response: { 200: healthSchema } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: healthSchema, 503: healthSchema } } }, async (_req, reply) => {
    if (deps.ready()) return { status: 'ready' };
    // ready() is the authority; phase() only names why we are not ready.
    const phase = gatewayPhase(deps);
    return reply.code(503).send({ status: phase === 'draining' ? 'draining' : 'starting' });
  });
}
