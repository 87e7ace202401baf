// Bearer token check for /api/*. The token is read from the current config on every request so a
// reload that sets, changes or removes it applies at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Constant-time string comparison: hashing first gives equal lengths, so length leaks nothing. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The credentials of an `Authorization: Bearer <token>` header (scheme is case-insensitive, RFC 7235). */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

export function bearerAuthHook(currentToken: () => string | undefined) {
  return async function checkBearer(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const expected = currentToken();
    if (expected === undefined || expected === '') return;
    const given = bearerToken(req.headers.authorization);
    if (given !== null && tokenMatches(given, expected)) return;
    req.log.warn({ url: req.url, ip: req.ip }, 'admin API: missing or wrong bearer token');
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="dicom-tls-gateway"')
      .send({ error: 'unauthorized' });
  };
}
