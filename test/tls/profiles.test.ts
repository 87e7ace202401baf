// Each PS3.15 Annex B profile against Node clients restricted to one version/suite, over real
// sockets on 127.0.0.1. Verified with Node 20.20 / OpenSSL 3.0.19: TLS 1.0 and 1.1 work only at
// @SECLEVEL=0 on both ends (OpenSSL 3 refuses their SHA-1/MD5 handshake signatures at level 1).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import { TLS_PROFILE_NAMES, type TlsProfileName } from '../../src/config/types.ts';
import { clientOptions, secureContextOptions, serverOptions } from '../../src/tls/context.ts';
import { describeTlsError } from '../../src/tls/peer.ts';
import { TLS_PROFILES, profileOptions } from '../../src/tls/profiles.ts';
import { mintPki, peerClient, tryHandshake, type TestPki } from './fixtures.ts';

let pki: TestPki;
before(async () => {
  pki = await mintPki();
});
after(async () => {
  await pki.cleanup();
});

type Expect = { protocol: string; cipher?: string } | { refused: RegExp };

interface Case {
  profile: TlsProfileName;
  name: string;
  key?: 'rsa' | 'ec'; // the gateway's certificate type
  client: ConnectionOptions; // version / suite restrictions of the calling peer
  expect: Expect;
}

const LEGACY = '@SECLEVEL=0';
const tls12 = (ciphers: string): ConnectionOptions => ({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers });
const tls13 = (ciphers: string): ConnectionOptions => ({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers });
const old = (v: 'TLSv1' | 'TLSv1.1', ciphers = `DEFAULT:${LEGACY}`): ConnectionOptions => ({ minVersion: v, maxVersion: v, ciphers });

const VERSION = /version/;
const CIPHER = /no shared cipher/;

const CASES: Case[] = [
  // B.12 (default)
  { profile: 'bcp195-rfc8996', name: 'Node default client gets TLS 1.3', client: {}, expect: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' } },
  { profile: 'bcp195-rfc8996', name: 'TLS 1.2 client gets ECDHE-RSA-AES128-GCM', client: { maxVersion: 'TLSv1.2' }, expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' } },
  { profile: 'bcp195-rfc8996', name: 'TLS 1.2 ECDHE-RSA-AES256-GCM', client: tls12('ECDHE-RSA-AES256-GCM-SHA384'), expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' } },
  { profile: 'bcp195-rfc8996', name: 'ECDSA cert: TLS 1.2 ECDHE-ECDSA-AES256-GCM', key: 'ec', client: tls12('ECDHE-ECDSA-AES256-GCM-SHA384'), expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' } },
  { profile: 'bcp195-rfc8996', name: 'refuses a TLS 1.1-only client', client: old('TLSv1.1'), expect: { refused: VERSION } },
  { profile: 'bcp195-rfc8996', name: 'refuses a TLS 1.0-only client', client: old('TLSv1'), expect: { refused: VERSION } },
  { profile: 'bcp195-rfc8996', name: 'refuses an AES128-SHA-only TLS 1.2 client', client: tls12('AES128-SHA'), expect: { refused: CIPHER } },
  { profile: 'bcp195-rfc8996', name: 'refuses a DHE-only TLS 1.2 client (RFC 9325 4.1)', client: tls12('DHE-RSA-AES256-GCM-SHA384'), expect: { refused: CIPHER } },
  { profile: 'bcp195-rfc8996', name: 'refuses a CHACHA20-only TLS 1.3 client', client: tls13('TLS_CHACHA20_POLY1305_SHA256'), expect: { refused: CIPHER } },
  // B.13
  { profile: 'bcp195-rfc8996-modified', name: 'TLS 1.3 CHACHA20-POLY1305', client: tls13('TLS_CHACHA20_POLY1305_SHA256'), expect: { protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' } },
  { profile: 'bcp195-rfc8996-modified', name: 'TLS 1.3 AES-128-CCM', client: tls13('TLS_AES_128_CCM_SHA256'), expect: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_CCM_SHA256' } },
  { profile: 'bcp195-rfc8996-modified', name: 'TLS 1.2 ECDHE-RSA-CHACHA20', client: tls12('ECDHE-RSA-CHACHA20-POLY1305'), expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-CHACHA20-POLY1305' } },
  { profile: 'bcp195-rfc8996-modified', name: 'ECDSA cert: TLS 1.2 ECDHE-ECDSA-AES128-CCM', key: 'ec', client: tls12('ECDHE-ECDSA-AES128-CCM'), expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-CCM' } },
  { profile: 'bcp195-rfc8996-modified', name: 'refuses a TLS 1.1-only client', client: old('TLSv1.1'), expect: { refused: VERSION } },
  { profile: 'bcp195-rfc8996-modified', name: 'refuses TLS 1.2 CBC (ECDHE-RSA-AES128-SHA)', client: tls12('ECDHE-RSA-AES128-SHA'), expect: { refused: CIPHER } },
  // B.10
  { profile: 'bcp195-nd', name: 'TLS 1.2 DHE-RSA-AES256-GCM (dhparam auto)', client: tls12('DHE-RSA-AES256-GCM-SHA384'), expect: { protocol: 'TLSv1.2', cipher: 'DHE-RSA-AES256-GCM-SHA384' } },
  { profile: 'bcp195-nd', name: 'TLS 1.2 ECDHE-RSA-AES128-GCM', client: tls12('ECDHE-RSA-AES128-GCM-SHA256'), expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' } },
  { profile: 'bcp195-nd', name: 'Node default client gets TLS 1.3', client: {}, expect: { protocol: 'TLSv1.3' } },
  { profile: 'bcp195-nd', name: 'refuses a TLS 1.1-only client', client: old('TLSv1.1'), expect: { refused: VERSION } },
  { profile: 'bcp195-nd', name: 'refuses an AES128-SHA-only TLS 1.2 client', client: tls12('AES128-SHA'), expect: { refused: CIPHER } },
  { profile: 'bcp195-nd', name: 'ECDSA cert: refuses TLS 1.2 (RSA-only suites)', key: 'ec', client: tls12('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256'), expect: { refused: CIPHER } },
  // B.9
  { profile: 'bcp195', name: 'TLS 1.0 AES128-SHA client (SECLEVEL=0 both ends)', client: old('TLSv1', `AES128-SHA:${LEGACY}`), expect: { protocol: 'TLSv1', cipher: 'AES128-SHA' } },
  { profile: 'bcp195', name: 'TLS 1.0 client gets ECDHE-RSA-AES128-SHA first', client: old('TLSv1'), expect: { protocol: 'TLSv1', cipher: 'ECDHE-RSA-AES128-SHA' } },
  { profile: 'bcp195', name: 'TLS 1.1 client', client: old('TLSv1.1'), expect: { protocol: 'TLSv1.1', cipher: 'ECDHE-RSA-AES128-SHA' } },
  { profile: 'bcp195', name: 'TLS 1.2 AES128-SHA fallback', client: tls12('AES128-SHA'), expect: { protocol: 'TLSv1.2', cipher: 'AES128-SHA' } },
  { profile: 'bcp195', name: 'Node default client still gets TLS 1.3', client: {}, expect: { protocol: 'TLSv1.3' } },
  { profile: 'bcp195', name: 'TLS 1.0 client at default SECLEVEL fails', client: old('TLSv1', 'DEFAULT'), expect: { refused: /./ } },
  // B.11
  { profile: 'bcp195-ex', name: 'Node default client gets TLS 1.2', client: {}, expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' } },
  { profile: 'bcp195-ex', name: 'ECDSA cert: TLS 1.2 ECDHE-ECDSA-AES256-GCM', key: 'ec', client: {}, expect: { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' } },
  { profile: 'bcp195-ex', name: 'TLS 1.2 DHE-RSA-AES128-GCM', client: tls12('DHE-RSA-AES128-GCM-SHA256'), expect: { protocol: 'TLSv1.2', cipher: 'DHE-RSA-AES128-GCM-SHA256' } },
  { profile: 'bcp195-ex', name: 'refuses a TLS 1.3-only client', client: tls13('TLS_AES_128_GCM_SHA256'), expect: { refused: VERSION } },
  { profile: 'bcp195-ex', name: 'refuses a TLS 1.1-only client', client: old('TLSv1.1'), expect: { refused: VERSION } },
];

describe('profile table', () => {
  test('every TlsProfileName has a profile whose options build a secure context for both roles', () => {
    for (const name of TLS_PROFILE_NAMES) {
      const p = TLS_PROFILES[name];
      assert.equal(p.name, name);
      assert.doesNotThrow(() => createSecureContext(secureContextOptions(pki.material, name, 'server')), name);
      assert.doesNotThrow(() => createSecureContext(secureContextOptions(pki.material, name, 'client')), name);
    }
  });

  test('needsDhparam matches the DHE suites and only servers get dhparam', () => {
    for (const name of TLS_PROFILE_NAMES) {
      const p = TLS_PROFILES[name];
      assert.equal(p.needsDhparam, /(^|:)DHE-/.test(p.ciphers), name);
      assert.equal(secureContextOptions(pki.material, name, 'server').dhparam, p.needsDhparam ? 'auto' : undefined);
      assert.equal(secureContextOptions(pki.material, name, 'client').dhparam, undefined);
    }
  });

  test('TLS 1.3 suites lead the cipher string and @SECLEVEL stays last', () => {
    const o = profileOptions('bcp195');
    assert.match(o.ciphers ?? '', /^TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:ECDHE-RSA/);
    assert.match(o.ciphers ?? '', /:@SECLEVEL=0$/);
    assert.equal(profileOptions('bcp195-ex').ciphers?.includes('TLS_'), false);
  });
});

describe('profiles over real sockets', () => {
  for (const c of CASES) {
    test(`${c.profile}: ${c.name}`, async () => {
      const ec = c.key === 'ec';
      const m = ec ? pki.ecMaterial : pki.material;
      const r = await tryHandshake(serverOptions(m, c.profile, true), peerClient(ec ? pki.ecClient : pki.client, ec ? pki.ecCa : pki.ca, c.client));
      if ('refused' in c.expect) {
        assert.equal(r.ok, false, `expected refusal, got ${r.protocol} ${r.cipher}`);
        const text = describeTlsError(r.serverError ?? r.clientError);
        assert.match(text, c.expect.refused, text);
      } else {
        assert.equal(r.ok, true, `handshake failed: ${r.clientError?.message} / ${r.serverError?.message}`);
        assert.equal(r.protocol, c.expect.protocol);
        if (c.expect.cipher) assert.equal(r.cipher, c.expect.cipher);
        assert.equal(r.authorized, true);
      }
    });
  }

  test('the gateway as client (clientOptions) speaks every profile to a server of the same profile', async () => {
    for (const name of TLS_PROFILE_NAMES) {
      const r = await tryHandshake(serverOptions(pki.material, name, true), clientOptions(pki.material, name, { host: '127.0.0.1' }));
      assert.equal(r.ok, true, `${name}: ${r.clientError?.message} / ${r.serverError?.message}`);
      assert.equal(r.protocol, TLS_PROFILES[name].maxVersion, name);
    }
  });

  test('a bcp195-rfc8996 gateway client refuses a TLS 1.1-only server', async () => {
    const r = await tryHandshake(
      { ...serverOptions(pki.material, 'bcp195', false), minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' },
      clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' }),
    );
    assert.equal(r.ok, false);
    assert.match(describeTlsError(r.clientError), /version/);
  });
});
