// Peer certificate -> PeerIdentity for policy and audit, and TLS errors -> sentences an admin can act on.
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { PeerIdentity } from '../policy/identity.ts';

type NameObject = Record<string, string | string[] | undefined>;

// RFC 4514 2.4: characters that must be escaped in an attribute value.
function escapeRdnValue(v: string): string {
  return v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

/** 'CN=x, OU=b, OU=a, O=y, C=z': most specific first as RFC 4514 prints it (DER order reversed). */
export function formatSubject(name: NameObject | undefined): string {
  if (!name) return '';
  const parts: string[] = [];
  for (const [type, value] of Object.entries(name)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${type}=${escapeRdnValue(v)}`);
  }
  return parts.reverse().join(', ');
}

/**
 * Splits Node's subjectaltname string ('DNS:a, URI:urn:x, IP Address:127.0.0.1'). Since the
 * CVE-2021-44532 fix Node JSON-quotes values holding ',' or other specials ('DNS:"a\u002c b"'), so a
 * naive split(', ') would let a crafted SAN smuggle in an extra entry.
 */
export function parseSubjectAltName(s: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  if (!s) return out;
  let i = 0;
  while (i < s.length) {
    const colon = s.indexOf(':', i);
    if (colon < 0) break;
    const type = s.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (s[j] === '"') {
      // JSON string: find the closing quote that is not escaped.
      let k = j + 1;
      while (k < s.length && s[k] !== '"') k += s[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(s.slice(j, k + 1)) as string;
      } catch {
        value = s.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const end = s.indexOf(', ', j);
      const stop = end < 0 ? s.length : end;
      value = s.slice(j, stop);
      j = stop;
    }
    out.push({ type, value });
    i = s.startsWith(', ', j) ? j + 2 : j;
    if (i === j && j < s.length) i = j + 1; // malformed separator: skip a char rather than loop
  }
  return out;
}

/** Node prints IPv6 SANs uncompressed (0:0:0:0:0:0:0:1); use the canonical form (::1). */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v; // the last CN in DER order is the most specific one
}

/** Works on getPeerCertificate() results and on X509Certificate (via its legacy object). */
export function peerIdentityFromCertificate(cert: PeerCertificate | X509Certificate): PeerIdentity {
  const legacy: PeerCertificate = cert instanceof X509Certificate ? cert.toLegacyObject() : cert;
  const subject = legacy.subject as unknown as NameObject | undefined;
  const sans = parseSubjectAltName(legacy.subjectaltname);
  const pick = (type: string): string[] => sans.filter((e) => e.type === type).map((e) => e.value);
  const id: PeerIdentity = {
    subject: formatSubject(subject),
    dnsNames: pick('DNS'),
    uris: pick('URI'),
    ipAddresses: pick('IP Address').map(canonicalIp),
  };
  const cn = firstValue(subject?.['CN']);
  if (cn !== undefined) id.commonName = cn;
  if (legacy.fingerprint256) id.fingerprint256 = legacy.fingerprint256;
  if (legacy.valid_to) {
    const d = new Date(legacy.valid_to);
    id.notAfter = Number.isNaN(d.getTime()) ? legacy.valid_to : d.toISOString();
  }
  return id;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
}

// Ordered: the first match wins. `code` is Node's (ERR_SSL_*) or OpenSSL's verify code (client side);
// the message carries OpenSSL's reason text (server side errors only have that).
const RULES: { test: RegExp; text: string }[] = [
  {
    test: /PEER_DID_NOT_RETURN_A_CERTIFICATE|peer did not return a certificate|CERTIFICATE_REQUIRED|certificate required/i,
    text: 'no client certificate: the caller sent none, but this side requires mutual TLS (configure a client certificate on the caller)',
  },
  {
    test: /CERT_HAS_EXPIRED|certificate has expired|alert certificate expired/i,
    text: 'certificate expired: the peer certificate (or one in its chain) is past its notAfter date',
  },
  { test: /CERT_NOT_YET_VALID|certificate is not yet valid/i, text: 'certificate not yet valid: check the clocks, or the certificate notBefore' },
  {
    test: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE|unknown ca|unable to get (local )?issuer certificate|self[- ]signed certificate|certificate verify failed/i,
    text: 'unknown CA: the peer certificate is not signed by a CA in tls.ca (or the peer does not trust ours)',
  },
  {
    test: /ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match|IP: .* is not in the cert's list/i,
    text: "name mismatch: the server certificate does not carry the node's serverName/host in its SANs",
  },
  { test: /INVALID_PURPOSE|unsupported certificate purpose/i, text: 'certificate not allowed for this role (extendedKeyUsage lacks serverAuth/clientAuth)' },
  { test: /bad certificate|certificate unknown|unsupported certificate/i, text: 'the peer rejected our certificate (check its trust store for our CA)' },
  {
    test: /legacy sigalg|no suitable signature algorithm/i,
    text: 'legacy TLS 1.0/1.1 signatures (SHA-1/MD5) refused at this security level: both sides need profile bcp195 (B.9)',
  },
  {
    test: /unsupported protocol|protocol version|UNSUPPORTED_PROTOCOL|no protocols available|version too low|version too high/i,
    text: 'TLS version mismatch: the peer allows no TLS version this profile allows (check tls.profile on both sides)',
  },
  {
    test: /no shared cipher|NO_SHARED_CIPHER|no cipher match|insufficient security/i,
    text: 'no shared cipher suite: the peer offers nothing this profile allows (check tls.profile; DCMTK +py/+px need an RSA certificate)',
  },
  {
    // TLS 1.2 peers send this one alert both for "no shared cipher" and "you sent no client certificate".
    test: /alert handshake failure|HANDSHAKE_FAILURE/i,
    text: 'the peer aborted the handshake: usually no shared cipher suite (check tls.profile), or it requires a client certificate',
  },
  {
    test: /wrong version number|http request|packet length too long|record layer failure|unknown protocol|WRONG_VERSION_NUMBER/i,
    text: 'not TLS: the peer spoke something else (plain DICOM on a TLS port, or TLS to a plain port)',
  },
  { test: /key too small|EE_KEY_TOO_SMALL|ca md too weak|CA_MD_TOO_WEAK/i, text: 'peer certificate too weak for this profile (small key or SHA-1 signature)' },
  { test: /ERR_TLS_HANDSHAKE_TIMEOUT|TLS handshake timeout/i, text: 'TLS handshake timed out' },
  {
    test: /ECONNRESET|socket hang up|Client network socket disconnected|EPIPE/i,
    text: 'connection closed during the TLS handshake (the peer may not speak TLS, or rejected our certificate: Node and others close without an alert)',
  },
  { test: /ECONNREFUSED/i, text: 'connection refused: nothing listens on that host and port' },
  { test: /ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/i, text: 'peer unreachable' },
];

/**
 * A one-line, admin-friendly explanation of a TLS (or TLS-time socket) error, with the raw reason.
 *
 * Pass the TLS socket when you have it (second argument of the server's 'tlsClientError'): a Node
 * server with rejectUnauthorized checks the client certificate after OpenSSL's handshake and just
 * destroys the socket, so the error is a bare "socket hang up" while the real verify result
 * (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...) sits in socket.authorizationError.
 */
export function describeTlsError(err: unknown, socket?: { authorizationError?: unknown }): string {
  const verify = socket?.authorizationError;
  if (verify !== undefined && verify !== null && verify !== '') {
    const code = typeof verify === 'string' ? verify : String((verify as ErrorLike).code ?? (verify as ErrorLike).message ?? verify);
    const rule = RULES.find((r) => r.test.test(code));
    if (rule) return `${rule.text} [${code}]`;
    return `peer certificate rejected [${code}]`;
  }
  if (err === undefined || err === null) {
    // TLS 1.3 (and often 1.2) clients finish their handshake before the server checks the client
    // certificate, so a rejection shows up as a plain close right after secureConnect.
    return 'connection closed right after the TLS handshake: the peer probably rejected our certificate';
  }
  const e = (typeof err === 'object' ? err : { message: String(err) }) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  // Node codes spell OpenSSL reasons with underscores (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION): match both.
  const haystack = `${code} ${code.replace(/_/g, ' ')} ${message}`;
  const rule = RULES.find((r) => r.test.test(haystack));
  // OpenSSL messages are 'hex:error:0A000...:SSL routines:fn:reason:file:line:': keep the reason.
  const reason = /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? (code || message.split('\n')[0]);
  return rule ? `${rule.text} [${reason}]` : `TLS error: ${reason}`;
}
