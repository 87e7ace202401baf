// Test PKI and a handshake harness for test/tls. Each test file mints once (RSA keygen ~80 ms a key)
// into its own temp dir and reuses the certificates across its tests.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type ConnectionOptions, type PeerCertificate, type TlsOptions } from 'node:tls';
import type { TlsConfig } from '../../src/config/types.ts';
import { generateKey, issueCertificate, type IssuedCertificate } from '../../src/tls/issue.ts';
import { loadTlsMaterial, type TlsMaterial } from '../../src/tls/material.ts';

export const DAY_MS = 86_400_000;

export interface TestPki {
  dir: string;
  ca: IssuedCertificate;
  gateway: IssuedCertificate; // CN GATEWAY, SAN DNS localhost + gateway, IP 127.0.0.1, ::1
  client: IssuedCertificate; // CN CLOUD_AI, issued by ca
  otherCa: IssuedCertificate;
  otherClient: IssuedCertificate; // issued by otherCa
  expiredClient: IssuedCertificate; // issued by ca, expired yesterday
  ecCa: IssuedCertificate;
  ecGateway: IssuedCertificate; // ECDSA P-256 leaf under ecCa
  ecClient: IssuedCertificate;
  tls: TlsConfig; // gateway.crt/gateway.key/ca.crt in dir
  ecTls: TlsConfig;
  material: TlsMaterial;
  ecMaterial: TlsMaterial;
  cleanup(): Promise<void>;
}

export async function writePem(dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

/**
 * RSA 2048 keygen takes 0.2-2 s on this machine, so the test PKI shares three RSA keys: a CA never
 * shares its key with a certificate it signs or with the other CA (that would make a foreign
 * chain verify). ECDSA keys are cheap.
 */
export async function mintPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'dicom-tls-test-'));
  const [k1, k2, k3] = await Promise.all([generateKey('rsa'), generateKey('rsa'), generateKey('rsa')]);
  const [ca, otherCa, ecCa] = await Promise.all([
    issueCertificate({ commonName: 'Test CA', organization: 'Test', ca: true, keyPem: k1 }),
    issueCertificate({ commonName: 'Other CA', ca: true, keyPem: k2 }),
    issueCertificate({ commonName: 'Test EC CA', ca: true, keyType: 'ec' }),
  ]);
  const now = Date.now();
  const [gateway, client, otherClient, expiredClient, ecGateway, ecClient] = await Promise.all([
    issueCertificate({ commonName: 'GATEWAY', dnsNames: ['localhost', 'gateway'], ipAddresses: ['127.0.0.1', '::1'], issuer: ca, keyPem: k3 }),
    issueCertificate({
      commonName: 'CLOUD_AI',
      organization: 'Example Hospital',
      dnsNames: ['cloud-ai.example.org'],
      uris: ['urn:dicom:ae:CLOUD_AI'],
      ipAddresses: ['10.1.2.3', '::1'],
      issuer: ca,
      keyPem: k2,
    }),
    issueCertificate({ commonName: 'CLOUD_AI', issuer: otherCa, keyPem: k3 }),
    issueCertificate({
      commonName: 'OLD_PEER',
      issuer: ca,
      notBefore: new Date(now - 30 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
      keyPem: k2,
    }),
    issueCertificate({ commonName: 'GATEWAY', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], issuer: ecCa, keyType: 'ec' }),
    issueCertificate({ commonName: 'EC_PEER', issuer: ecCa, keyType: 'ec' }),
  ]);
  const tls: TlsConfig = {
    cert: await writePem(dir, 'gateway.crt', gateway.certPem),
    key: await writePem(dir, 'gateway.key', gateway.keyPem),
    ca: await writePem(dir, 'ca.crt', ca.certPem),
    profile: 'bcp195-rfc8996',
  };
  const ecTls: TlsConfig = {
    cert: await writePem(dir, 'ec-gateway.crt', ecGateway.certPem),
    key: await writePem(dir, 'ec-gateway.key', ecGateway.keyPem),
    ca: await writePem(dir, 'ec-ca.crt', ecCa.certPem),
    profile: 'bcp195-rfc8996',
  };
  return {
    dir,
    ca,
    gateway,
    client,
    otherCa,
    otherClient,
    expiredClient,
    ecCa,
    ecGateway,
    ecClient,
    tls,
    ecTls,
    material: await loadTlsMaterial(tls),
    ecMaterial: await loadTlsMaterial(ecTls),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface HandshakeResult {
  /** The server's secureConnection handler ran and its greeting reached the client. */
  ok: boolean;
  protocol?: string | null;
  cipher?: string;
  clientError?: Error & { code?: string };
  serverError?: Error & { code?: string };
  /** Server side view of the client certificate. */
  authorized?: boolean;
  authorizationError?: string;
  peerCertificate?: PeerCertificate;
  /** SNI the server received (false when none). */
  servername?: string | false | null;
  /** socket.authorizationError of a connection the server destroyed (see describeTlsError). */
  serverVerifyError?: string;
}

/**
 * One connection from `clientOpts` to a fresh server on 127.0.0.1:0. Success means application data
 * flowed: with TLS 1.3 the client finishes its handshake before the server has checked the client
 * certificate, so secureConnect alone proves nothing.
 */
export async function tryHandshake(serverOpts: TlsOptions, clientOpts: ConnectionOptions): Promise<HandshakeResult> {
  const result: HandshakeResult = { ok: false };
  const server = createServer(serverOpts, (socket) => {
    result.authorized = socket.authorized;
    result.authorizationError = socket.authorizationError?.toString();
    result.peerCertificate = socket.getPeerCertificate();
    result.servername = socket.servername;
    socket.end('hello');
  });
  server.on('tlsClientError', (err, socket) => {
    result.serverError = err;
    const v = socket.authorizationError as unknown;
    if (v) result.serverVerifyError = String(v);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    await new Promise<void>((resolve) => {
      const c = connect({ host: '127.0.0.1', ...clientOpts, port });
      let data = '';
      c.setTimeout(5000, () => c.destroy(new Error('test timeout')));
      c.on('secureConnect', () => {
        result.protocol = c.getProtocol();
        result.cipher = c.getCipher()?.name;
      });
      c.on('data', (d: Buffer) => (data += d.toString()));
      c.on('error', (e) => (result.clientError ??= e));
      c.on('close', () => {
        result.ok = data === 'hello';
        resolve();
      });
    });
    // tlsClientError may trail the client's close by a tick.
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    server.close();
  }
  return result;
}

type Pem = { certPem: string; keyPem: string };

/** Client options with a client certificate, trusting `ca`, as a third-party TLS peer would. */
export function peerClient(cert: Pem, ca: Pick<Pem, 'certPem'>, extra: ConnectionOptions = {}): ConnectionOptions {
  return { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem, servername: 'localhost', ...extra };
}

/** Server options of a third-party TLS peer (e.g. a PACS) for tests of the gateway's client side. */
export function peerServer(cert: Pem, ca: Pick<Pem, 'certPem'>, extra: TlsOptions = {}): TlsOptions {
  return { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, ...extra };
}
