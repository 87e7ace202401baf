// serverOptions / clientOptions over real sockets: mutual TLS acceptance and refusal, server name
// verification and SNI, and what describeTlsError makes of each failure.
import assert from 'node:assert/strict';
import { connect as netConnect, createServer as netCreateServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect, createServer } from 'node:tls';
import { clientOptions, serverOptions } from '../../src/tls/context.ts';
import { describeTlsError, peerIdentityFromCertificate } from '../../src/tls/peer.ts';
import { mintPki, peerClient, peerServer, tryHandshake, type TestPki } from './fixtures.ts';

let pki: TestPki;
before(async () => {
  pki = await mintPki();
});
after(async () => {
  await pki.cleanup();
});

describe('serverOptions: requireClientCert', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    test(`${version}: accepts a client certificate from tls.ca and exposes its identity`, async () => {
      const r = await tryHandshake(serverOptions(pki.material, 'bcp195-rfc8996', true), peerClient(pki.client, pki.ca, { maxVersion: version }));
      assert.equal(r.ok, true);
      assert.equal(r.authorized, true);
      assert.ok(r.peerCertificate);
      const id = peerIdentityFromCertificate(r.peerCertificate);
      assert.equal(id.commonName, 'CLOUD_AI');
      assert.deepEqual(id.uris, ['urn:dicom:ae:CLOUD_AI']);
      assert.equal(id.fingerprint256, pki.client.cert.fingerprint256);
    });

    test(`${version}: refuses a client without certificate`, async () => {
      const r = await tryHandshake(serverOptions(pki.material, 'bcp195-rfc8996', true), { ca: pki.ca.certPem, servername: 'localhost', maxVersion: version });
      assert.equal(r.ok, false);
      assert.match(describeTlsError(r.serverError), /^no client certificate/);
    });

    test(`${version}: refuses a client certificate from another CA`, async () => {
      const r = await tryHandshake(serverOptions(pki.material, 'bcp195-rfc8996', true), peerClient(pki.otherClient, pki.ca, { maxVersion: version }));
      assert.equal(r.ok, false);
      // Node destroys the socket without an alert; the reason is only on the socket.
      assert.equal(r.serverVerifyError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.match(describeTlsError(r.serverError, { authorizationError: r.serverVerifyError }), /^unknown CA/);
    });

    test(`${version}: refuses an expired client certificate`, async () => {
      const r = await tryHandshake(serverOptions(pki.material, 'bcp195-rfc8996', true), peerClient(pki.expiredClient, pki.ca, { maxVersion: version }));
      assert.equal(r.ok, false);
      assert.equal(r.serverVerifyError, 'CERT_HAS_EXPIRED');
      assert.match(describeTlsError(r.serverError, { authorizationError: r.serverVerifyError }), /^certificate expired/);
    });
  }

  test('requireClientCert false: a caller without certificate gets through, unauthenticated', async () => {
    const r = await tryHandshake(serverOptions(pki.material, 'bcp195-rfc8996', false), { ca: pki.ca.certPem, servername: 'localhost' });
    assert.equal(r.ok, true);
    assert.equal(r.authorized, false);
    assert.deepEqual(r.peerCertificate, {});
  });

  test('requireClientCert false: an untrusted certificate gets through but is not authorized', async () => {
    const r = await tryHandshake(serverOptions(pki.material, 'bcp195-rfc8996', false), peerClient(pki.otherClient, pki.ca));
    assert.equal(r.ok, true);
    assert.equal(r.authorized, false);
    assert.equal(r.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});

describe('clientOptions: verifying the node', () => {
  const pacsServer = () => peerServer(pki.gateway, pki.ca); // any server cert from tls.ca: SAN localhost, gateway, 127.0.0.1, ::1

  test('IP host: verifies the IP SAN and sends no SNI', async () => {
    const opts = clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' });
    assert.equal(opts.servername, undefined);
    const r = await tryHandshake(pacsServer(), opts);
    assert.equal(r.ok, true, r.clientError?.message);
    assert.equal(r.authorized, true); // our client certificate was accepted (mutual TLS)
    assert.equal(r.servername, false);
  });

  test('serverName: sent as SNI and verified, whatever host is dialled', async () => {
    const r = await tryHandshake(pacsServer(), clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1', serverName: 'gateway' }));
    assert.equal(r.ok, true, r.clientError?.message);
    assert.equal(r.servername, 'gateway');
  });

  test('refuses a server whose certificate does not carry serverName', async () => {
    const r = await tryHandshake(pacsServer(), clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1', serverName: 'pacs.example.org' }));
    assert.equal(r.ok, false);
    assert.equal(r.clientError?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(describeTlsError(r.clientError), /^name mismatch/);
  });

  test('refuses a server whose IP is not in its certificate', async () => {
    const other = await tryHandshake(peerServer(pki.client, pki.ca), clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' }));
    assert.equal(other.ok, false);
    assert.match(describeTlsError(other.clientError), /^name mismatch/);
  });

  test('refuses a server certificate from another CA', async () => {
    const r = await tryHandshake(peerServer(pki.otherClient, pki.otherCa, { rejectUnauthorized: false }), clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' }));
    assert.equal(r.ok, false);
    assert.match(describeTlsError(r.clientError), /^unknown CA/);
  });

  test('a server that does not trust our CA: we see a closed connection or an alert, described', async () => {
    const r = await tryHandshake(peerServer(pki.gateway, pki.otherCa), clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' }));
    assert.equal(r.ok, false);
    // OpenSSL appends our CA from `ca` to the chain it sends, hence SELF_SIGNED_CERT_IN_CHAIN.
    assert.match(r.serverVerifyError ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);
    // We usually see no error at all: our side finished its handshake before the server closed.
    assert.match(describeTlsError(r.clientError), /closed (during|right after) the TLS handshake/);
  });
});

describe('not TLS at all', () => {
  test('plain DICOM bytes sent to a TLS listener', async () => {
    const server = createServer(serverOptions(pki.material, 'bcp195-rfc8996', true));
    const err = new Promise<Error>((resolve) => server.on('tlsClientError', resolve));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sock = netConnect(port, '127.0.0.1', () => {
      // A-ASSOCIATE-RQ header: PDU type 0x01, reserved, length.
      sock.write(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x01, 0x00, 0x00]));
    });
    sock.on('error', () => undefined);
    const e = await err;
    sock.destroy();
    server.close();
    assert.match(describeTlsError(e), /^not TLS/);
  });

  test('TLS sent to a plain DICOM port that answers with an A-ABORT', async () => {
    const server = netCreateServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(Buffer.from([0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const e = await new Promise<Error>((resolve) => {
      const c = connect({ ...clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' }), port });
      c.on('error', resolve);
    });
    server.close();
    assert.match(describeTlsError(e), /^not TLS|closed during the TLS handshake/);
  });
});
