// TLS options for both directions, built from one TlsMaterial snapshot and a PS3.15 profile.
// Mutual TLS both ways (contract: the gateway cert is the server cert for callers and the client
// cert towards TLS nodes, as Orthanc/DCMTK `-rc` require).
import { isIP } from 'node:net';
import {
  checkServerIdentity as nodeCheckServerIdentity,
  createSecureContext,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
  type SecureContextOptions,
  type TlsOptions,
} from 'node:tls';
import type { TlsProfileName } from '../config/types.ts';
import type { TlsMaterial } from './material.ts';
import { getProfile, profileOptions, type TlsProfile } from './profiles.ts';

/**
 * The secure-context part shared by servers and clients. Pass the server variant to
 * `server.setSecureContext()` on reload: new handshakes use it, live connections keep theirs.
 */
export function secureContextOptions(m: TlsMaterial, profile: TlsProfileName | TlsProfile, role: 'server' | 'client'): SecureContextOptions {
  const p = getProfile(profile);
  const opts: SecureContextOptions = {
    cert: m.certPem,
    key: m.keyPem,
    ca: m.caPem,
    ...profileOptions(p),
  };
  // A Node server offers DHE suites only with dhparam; 'auto' picks a group matching the key size.
  if (role === 'server' && p.needsDhparam) opts.dhparam = 'auto';
  // Prefer our order (GCM/ECDHE first) over whatever a legacy client lists first.
  if (role === 'server') opts.honorCipherOrder = true;
  return opts;
}

/** A pre-built context: parse PEMs once per reload instead of once per connection. */
export function createSecureContextFor(m: TlsMaterial, profile: TlsProfileName | TlsProfile, role: 'server' | 'client'): SecureContext {
  return createSecureContext(secureContextOptions(m, profile, role));
}

/**
 * Options for tls.createServer(). The certificate is always requested so an optional-cert listener
 * still learns (and audits) who called; `rejectUnauthorized` decides whether a missing or
 * untrusted one ends the handshake.
 */
export function serverOptions(m: TlsMaterial, profile: TlsProfileName | TlsProfile, requireClientCert: boolean): TlsOptions {
  return {
    ...secureContextOptions(m, profile, 'server'),
    requestCert: true,
    rejectUnauthorized: requireClientCert,
  };
}

export interface TlsNodeTarget {
  host: string;
  serverName?: string;
}

/** The name the server certificate must carry: serverName if configured, else host. */
export function expectedServerName(node: TlsNodeTarget): string {
  return node.serverName ?? node.host;
}

/**
 * Options for tls.connect() to a TLS node. SNI is sent only for DNS names (RFC 6066 3 forbids IP
 * literals; Node warns DEP0123). The identity check always uses serverName, whatever host we dial,
 * so `host: 10.0.0.5, serverName: pacs.example.org` verifies the DNS name.
 */
export function clientOptions(m: TlsMaterial, profile: TlsProfileName | TlsProfile, node: TlsNodeTarget): ConnectionOptions {
  const name = expectedServerName(node);
  const opts: ConnectionOptions = {
    ...secureContextOptions(m, profile, 'client'),
    host: node.host,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => nodeCheckServerIdentity(name, cert),
  };
  if (isIP(name) === 0) opts.servername = name;
  return opts;
}
