// peerIdentityFromCertificate on minted certificates, the SAN parser, and describeTlsError's table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueCertificate } from '../../src/tls/issue.ts';
import { describeTlsError, formatSubject, parseSubjectAltName, peerIdentityFromCertificate } from '../../src/tls/peer.ts';
import { mintPki, type TestPki } from './fixtures.ts';

let pki: TestPki;
before(async () => {
  pki = await mintPki();
});
after(async () => {
  await pki.cleanup();
});

describe('peerIdentityFromCertificate', () => {
  test('X509Certificate: subject, CN, SANs, fingerprint, notAfter', () => {
    const id = peerIdentityFromCertificate(pki.client.cert);
    assert.deepEqual(id, {
      subject: 'CN=CLOUD_AI, O=Example Hospital',
      commonName: 'CLOUD_AI',
      dnsNames: ['cloud-ai.example.org'],
      uris: ['urn:dicom:ae:CLOUD_AI'],
      ipAddresses: ['10.1.2.3', '::1'], // Node prints 0:0:0:0:0:0:0:1
      fingerprint256: pki.client.cert.fingerprint256,
      notAfter: new Date(pki.client.cert.validTo).toISOString(),
    });
  });

  test('PeerCertificate (legacy object) gives the same identity', () => {
    const legacy = pki.client.cert.toLegacyObject();
    assert.deepEqual(peerIdentityFromCertificate(legacy), peerIdentityFromCertificate(pki.client.cert));
  });

  test('a certificate without SANs or O', () => {
    const id = peerIdentityFromCertificate(pki.otherClient.cert);
    assert.equal(id.subject, 'CN=CLOUD_AI');
    assert.deepEqual([id.dnsNames, id.uris, id.ipAddresses], [[], [], []]);
  });

  test('no certificate (getPeerCertificate() = {}) gives an empty identity, not a crash', () => {
    const id = peerIdentityFromCertificate({} as never);
    assert.equal(id.subject, '');
    assert.equal(id.commonName, undefined);
    assert.deepEqual(id.dnsNames, []);
  });

  test('a SAN value with a comma cannot smuggle in a second SAN', async () => {
    const c = await issueCertificate({ commonName: 'A, B', dnsNames: ['x, DNS:evil.example.org'], issuer: pki.ecCa, keyType: 'ec' });
    const id = peerIdentityFromCertificate(c.cert);
    assert.deepEqual(id.dnsNames, ['x, DNS:evil.example.org']);
    assert.equal(id.commonName, 'A, B');
    assert.equal(id.subject, 'CN=A\\, B');
  });
});

describe('parseSubjectAltName / formatSubject', () => {
  test('splits types, keeps URIs with colons whole, decodes JSON-quoted values', () => {
    assert.deepEqual(parseSubjectAltName('DNS:a.example, URI:urn:dicom:ae:X, IP Address:10.0.0.1, DNS:"b\\u002c c"'), [
      { type: 'DNS', value: 'a.example' },
      { type: 'URI', value: 'urn:dicom:ae:X' },
      { type: 'IP Address', value: '10.0.0.1' },
      { type: 'DNS', value: 'b, c' },
    ]);
    assert.deepEqual(parseSubjectAltName(undefined), []);
  });

  test('RDNs most specific first, multi-valued attributes kept, specials escaped', () => {
    assert.equal(formatSubject({ C: 'DE', O: 'Acme+Co', OU: ['a', 'b'], CN: 'X' }), 'CN=X, OU=b, OU=a, O=Acme\\+Co, C=DE');
  });
});

describe('describeTlsError', () => {
  const cases: [string, unknown, RegExp][] = [
    ['server: no client cert', { code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', message: 'x:error:0A0000C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:f.c:1:' }, /^no client certificate.*\[peer did not return a certificate\]$/],
    ['client: TLS 1.3 certificate required alert', { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: '' }, /^no client certificate/],
    ['client: unknown CA', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' }, /^unknown CA/],
    ['client: unknown ca alert', { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', message: 'x:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:f.c:1:' }, /^unknown CA/],
    ['client: expired', { code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, /^certificate expired/],
    ['client: name', { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames" }, /^name mismatch/],
    ['server: version', { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', message: 'x:SSL routines:tls_early_post_process_client_hello:unsupported protocol:f.c:1:' }, /^TLS version mismatch/],
    ['client: version alert', { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', message: '' }, /^TLS version mismatch/],
    ['server: no shared cipher', { code: 'ERR_SSL_NO_SHARED_CIPHER', message: '' }, /^no shared cipher/],
    ['client: handshake failure alert', { code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', message: '' }, /no shared cipher suite.*or it requires a client certificate/],
    ['server: plain DICOM', { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'x:SSL routines:ssl3_get_record:wrong version number:f.c:1:' }, /^not TLS/],
    ['server: HTTP', { message: 'x:SSL routines:ssl3_get_record:http request:f.c:1:' }, /^not TLS/],
    ['client: TLS 1.0 at SECLEVEL 1', { code: 'ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED', message: '' }, /^legacy TLS 1.0\/1.1/],
    ['reset', { code: 'ECONNRESET', message: 'socket hang up' }, /closed during the TLS handshake/],
    ['string', 'boom', /^TLS error: boom$/],
  ];
  for (const [name, err, re] of cases) {
    test(name, () => assert.match(describeTlsError(err), re));
  }

  test('the socket verify result wins over a bare "socket hang up"', () => {
    const hangUp = { code: 'ECONNRESET', message: 'socket hang up' };
    assert.match(describeTlsError(hangUp, { authorizationError: 'CERT_HAS_EXPIRED' }), /^certificate expired.*\[CERT_HAS_EXPIRED\]$/);
    assert.match(describeTlsError(hangUp, { authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }), /^unknown CA/);
    assert.match(describeTlsError(hangUp, { authorizationError: 'SOMETHING_NEW' }), /^peer certificate rejected \[SOMETHING_NEW\]$/);
    assert.match(describeTlsError(hangUp, { authorizationError: undefined }), /closed during the TLS handshake/);
  });

  test('no error at all: a close right after the handshake', () => {
    assert.match(describeTlsError(undefined), /rejected our certificate/);
  });
});
