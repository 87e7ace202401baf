// /api/*: JSON for scripts. Registered as its own encapsulated context (prefix /api) so the bearer
// hook added here guards these routes only, never /, /metrics or the health probes.
import type { FastifyInstance } from 'fastify';
import type { AdminDeps, ReloadResult } from '../types.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { formatIssue } from '../../config/types.ts';
import { bearerAuthHook } from '../auth.ts';
import { collectStatus } from '../status.ts';
import { associationSchema, configSchema, errorSchema, reloadFailSchema, reloadOkSchema, statusSchema } from '../schemas.ts';

export interface ApiPluginOptions {
  deps: AdminDeps;
}

export const REDACTED = '[redacted]';

/** The config as plain JSON (nodes as an object keyed by name, like the YAML), secrets redacted. */
export function publicConfig(cfg: GatewayConfig): Record<string, unknown> {
  const { token, ...admin } = cfg.admin;
  return {
    ...cfg,
    nodes: Object.fromEntries(cfg.nodes),
    admin: token === undefined ? admin : { ...admin, token: REDACTED },
  };
}

export async function apiPlugin(app: FastifyInstance, opts: ApiPluginOptions): Promise<void> {
  const { deps } = opts;

  app.addHook('onRequest', bearerAuthHook(() => deps.config().admin.token));

  // POST /api/reload carries no body; tolerate clients that still send an empty JSON one.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = new Error('invalid JSON body') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  const unauthorized = { 401: errorSchema };

  app.get('/associations', { schema: { response: { 200: { type: 'array', items: associationSchema }, ...unauthorized } } }, async () =>
    deps.associations(),
  );

  app.get('/status', { schema: { response: { 200: statusSchema, ...unauthorized } } }, async () => collectStatus(deps));

  app.get('/config', { schema: { response: { 200: configSchema, ...unauthorized } } }, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send(publicConfig(deps.config())),
  );

  // Reloads run one after another: a second POST during a reload waits, then reloads again, so it
  // always sees the file as it was when it asked.
  let chain: Promise<unknown> = Promise.resolve();
  const reloadSerially = (): Promise<ReloadResult> => {
    const run = chain.then(() => deps.reload());
    chain = run.catch(() => undefined);
    return run;
  };

  app.post(
    '/reload',
    { schema: { response: { 200: reloadOkSchema, 400: reloadFailSchema, 500: reloadFailSchema, ...unauthorized } } },
    async (req, reply) => {
      let result: ReloadResult;
      try {
        result = await reloadSerially();
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        req.log.error({ err }, 'admin API: reload threw');
        return reply.code(500).send({ ok: false, message: `reload failed: ${msg}`, errors: [msg] });
      }
      const errors = result.issues.filter((i) => i.severity !== 'warning').map(formatIssue);
      const warnings = result.issues.filter((i) => i.severity === 'warning').map(formatIssue);
      if (result.ok) return { ok: true, message: result.message, warnings };
      return reply.code(400).send({ ok: false, message: result.message, errors, warnings });
    },
  );
}
