// Does a peer certificate carry the identity configured for a node (`nodes.X.certificate`)?
// The TLS layer has already verified the chain against `tls.ca`; this only binds the verified
// certificate to one AE title. Unlike ghostunnel's ACL (any listed attribute grants), the
// CONTRACT says "any of commonName, dnsName, uri; all given must match": every configured field is
// a requirement, and the first one that fails is reported.
import type { CertificateIdentity } from '../config/types.ts';

/** What the policy layer needs from a peer certificate; src/tls builds it from the X.509 cert. */
export interface PeerIdentity {
  /** Subject DN as one line, for messages and audit (e.g. 'CN=cloud-ai, O=Example'). */
  subject: string;
  commonName?: string;
  /** subjectAltName dNSName entries. */
  dnsNames: string[];
  /** subjectAltName uniformResourceIdentifier entries. */
  uris: string[];
  /** subjectAltName iPAddress entries. */
  ipAddresses: string[];
  /** SHA-256 fingerprint, colon-separated hex as Node prints it. */
  fingerprint256?: string;
  /** notAfter as Node prints it. */
  notAfter?: string;
}

export interface IdentityResult {
  ok: boolean;
  /** Why not, as a sentence fragment for logs: "commonName 'x' required, certificate has 'y'". */
  mismatch?: string;
}

/** DNS names compare case-insensitively (RFC 4343) and without a trailing root dot. */
function dnsFold(s: string): string {
  const t = s.trim().toLowerCase();
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

/**
 * Whether certificate SAN `san` covers host name `name`. RFC 6125 §6.4.3 as browsers apply it
 * (CA/B Forum BR 7.1.4.2.1): a wildcard is only a whole left-most label '*', and it matches exactly
 * one non-empty label, so '*.example.org' covers 'a.example.org' but neither 'example.org' nor
 * 'a.b.example.org'. Partial-label wildcards ('a*.example.org') are not honoured, and a wildcard
 * needs at least two labels after it so '*.org' covers nothing. A configured name that is itself
 * a wildcard only matches the same wildcard SAN literally.
 */
export function dnsNameMatches(san: string, name: string): boolean {
  const s = dnsFold(san);
  const n = dnsFold(name);
  if (s === '' || n === '') return false;
  if (s === n) return true;
  if (!s.startsWith('*.')) return false;
  const suffix = s.slice(2);
  if (suffix.includes('*') || suffix.split('.').length < 2) return false;
  const dot = n.indexOf('.');
  if (dot <= 0) return false;
  const first = n.slice(0, dot);
  return first !== '*' && n.slice(dot + 1) === suffix;
}

function quote(v: string | undefined): string {
  return v === undefined ? 'none' : `'${v}'`;
}

function list(v: readonly string[]): string {
  return v.length === 0 ? 'none' : v.map((x) => `'${x}'`).join(', ');
}

/**
 * Every field given in `required` must match `peer`:
 * - commonName: the subject CN, exactly (case-sensitive; the AE's CN is an opaque name here).
 * - dnsName: one SAN dNSName, case-insensitively, wildcard SANs per dnsNameMatches.
 * - uri: one SAN URI, exactly (a SPIFFE ID or URN is compared as configured).
 * A null peer (no client certificate) never matches; an empty `required` matches any certificate.
 */
export function identityMatches(required: CertificateIdentity, peer: PeerIdentity | null): IdentityResult {
  if (peer === null) return { ok: false, mismatch: 'no client certificate was presented' };
  if (required.commonName !== undefined && peer.commonName !== required.commonName) {
    return { ok: false, mismatch: `commonName '${required.commonName}' required, certificate has ${quote(peer.commonName)}` };
  }
  if (required.dnsName !== undefined) {
    const want = required.dnsName;
    if (!peer.dnsNames.some((san) => dnsNameMatches(san, want))) {
      return { ok: false, mismatch: `dnsName '${want}' required, certificate has DNS SANs ${list(peer.dnsNames)}` };
    }
  }
  if (required.uri !== undefined && !peer.uris.includes(required.uri)) {
    return { ok: false, mismatch: `uri '${required.uri}' required, certificate has URI SANs ${list(peer.uris)}` };
  }
  return { ok: true };
}

