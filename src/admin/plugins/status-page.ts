// GET /: the read-only status page. No token (it shows AE titles and counts only), so the headers
// lock it down instead: no script may run at all, it cannot be framed, and it is never cached.
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from '../types.ts';
import { textSchema } from '../schemas.ts';
import { collectStatus } from '../status.ts';
import { renderStatusPage } from '../status-page.ts';

export interface StatusPagePluginOptions {
  deps: AdminDeps;
}

export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function statusPagePlugin(app: FastifyInstance, opts: StatusPagePluginOptions): Promise<void> {
  const { deps } = opts;

  app.get('/', { schema: { response: { 200: textSchema } } }, async (_req, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', STATUS_PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(renderStatusPage(collectStatus(deps))),
  );
}
