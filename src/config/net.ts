// Host name and address syntax for the config. IP literals and CIDRs are parsed by the policy
// layer's parser (src/policy/address.ts), the same one that matches peers at run time, so the
// config accepts exactly what allowFrom and checkHost can use.
import { parseCidr, parseIp } from '../policy/address.ts';

export { parseCidr, parseIp };

/** An IP literal or an RFC 1123 host name. */
export function isHost(text: string): boolean {
  // Brackets belong in URLs, not in a host field that is passed to listen()/connect().
  if (text.startsWith('[')) return false;
  if (parseIp(text)) return true;
  if (text.length === 0 || text.length > 253) return false;
  // All digits and dots is a mistyped IPv4 address, not a name (RFC 3696 2: no numeric TLD).
  if (/^[\d.]+$/.test(text)) return false;
  return text
    .replace(/\.$/, '')
    .split('.')
    .every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** Addresses meaning "every interface". */
export function isWildcardHost(host: string): boolean {
  const ip = parseIp(host);
  if (ip === null) return false;
  // IPv4 is held as ::ffff:a.b.c.d, so only its last four bytes say "any".
  return ip.bytes.slice(ip.family === 4 ? 12 : 0).every((b) => b === 0);
}
