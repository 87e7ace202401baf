// loadTlsMaterial (throws the first problem, typed) and checkTlsMaterial (all findings, for `check`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TlsConfig } from '../../src/config/types.ts';
import { issueCertificate, type IssuedCertificate } from '../../src/tls/issue.ts';
import { checkTlsMaterial, loadTlsMaterial, TlsMaterialError, type CheckFinding, type TlsMaterialErrorCode } from '../../src/tls/material.ts';
import { DAY_MS, mintPki, writePem, type TestPki } from './fixtures.ts';

let pki: TestPki;
let n = 0;

before(async () => {
  pki = await mintPki();
});
after(async () => {
  await pki.cleanup();
});

/** Writes cert (+ extra PEMs), key and ca into fresh files and returns the TlsConfig. */
async function config(cert: string, key: string, ca: string): Promise<TlsConfig> {
  n++;
  return {
    cert: await writePem(pki.dir, `c${n}.crt`, cert),
    key: await writePem(pki.dir, `c${n}.key`, key),
    ca: await writePem(pki.dir, `c${n}-ca.crt`, ca),
    profile: 'bcp195-rfc8996',
  };
}

/** A leaf under the test CA reusing the gateway key (RSA keygen is slow here). */
function leaf(extra: Partial<Parameters<typeof issueCertificate>[0]> = {}): Promise<IssuedCertificate> {
  return issueCertificate({ commonName: 'GATEWAY', dnsNames: ['localhost'], issuer: pki.ca, keyPem: pki.gateway.keyPem, ...extra });
}

async function loadFails(tls: TlsConfig, code: TlsMaterialErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(loadTlsMaterial(tls), (err: unknown) => {
    assert.ok(err instanceof TlsMaterialError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

const errors = (f: CheckFinding[]): string[] => f.filter((x) => x.severity === 'error').map((x) => x.message);
const warnings = (f: CheckFinding[]): string[] => f.filter((x) => x.severity === 'warning').map((x) => x.message);

describe('loadTlsMaterial', () => {
  test('good material: leaf, empty chain, CAs', async () => {
    const m = await loadTlsMaterial(pki.tls);
    assert.equal(m.cert.fingerprint256, pki.gateway.cert.fingerprint256);
    assert.equal(m.chain.length, 0);
    assert.deepEqual(m.cas.map((c) => c.fingerprint256), [pki.ca.cert.fingerprint256]);
    assert.equal(m.keyPem, pki.gateway.keyPem);
    assert.ok(m.loadedAt instanceof Date);
  });

  test('an intermediate after the leaf in tls.cert is used to reach the root in tls.ca', async () => {
    const inter = await issueCertificate({ commonName: 'Intermediate CA', ca: true, issuer: pki.ca, keyType: 'ec' });
    const l = await issueCertificate({ commonName: 'GATEWAY', issuer: inter, keyPem: pki.gateway.keyPem });
    const m = await loadTlsMaterial(await config(l.certPem + inter.certPem, l.keyPem, pki.ca.certPem));
    assert.equal(m.chain.length, 1);
    assert.equal(m.chain[0]?.subject, 'CN=Intermediate CA');
    await loadFails(await config(l.certPem, l.keyPem, pki.ca.certPem), 'chain', /"CN=GATEWAY" \(issuer "CN=Intermediate CA"\) is not signed by any CA/);
  });

  test('missing file', async () => {
    await loadFails({ ...pki.tls, key: `${pki.dir}/nope.key` }, 'missing', /^key file not found: .*nope\.key$/);
  });

  test('not PEM', async () => {
    await loadFails(await config('hello', pki.gateway.keyPem, pki.ca.certPem), 'not-pem', /certificate file holds no PEM certificate/);
    await loadFails(await config(pki.gateway.certPem, pki.gateway.certPem, pki.ca.certPem), 'not-pem', /key file holds no PEM private key/);
    const broken = pki.ca.certPem.replace(/\n[A-Za-z0-9+/]{20}/, '\n' + 'A'.repeat(20));
    await loadFails(await config(pki.gateway.certPem, pki.gateway.keyPem, broken), 'not-pem', /ca file: certificate #1 does not parse/);
  });

  test('key does not match certificate', async () => {
    await loadFails(await config(pki.gateway.certPem, pki.client.keyPem, pki.ca.certPem), 'key-mismatch', /does not match certificate "CN=GATEWAY"/);
    // different key types throw inside checkPrivateKey: still a mismatch
    await loadFails(await config(pki.gateway.certPem, pki.ecClient.keyPem, pki.ca.certPem), 'key-mismatch', /does not match/);
  });

  test('chain does not verify against tls.ca', async () => {
    await loadFails(await config(pki.gateway.certPem, pki.gateway.keyPem, pki.otherCa.certPem), 'chain', /not signed by any CA in the ca file/);
  });

  test('expired and not yet valid', async () => {
    await loadFails(await config(pki.expiredClient.certPem, pki.expiredClient.keyPem, pki.ca.certPem), 'expired', /"CN=OLD_PEER" expired on/);
    const future = await leaf({ notBefore: new Date(Date.now() + 2 * DAY_MS), days: 30 });
    await loadFails(await config(future.certPem, future.keyPem, pki.ca.certPem), 'not-yet-valid', /is not valid before/);
  });
});

describe('checkTlsMaterial', () => {
  test('good material: no errors or warnings, infos name the chain and expiry', async () => {
    const f = await checkTlsMaterial(pki.tls);
    assert.deepEqual(errors(f), []);
    assert.deepEqual(warnings(f), []);
    assert.ok(f.some((x) => /chain verifies: "CN=GATEWAY" <- "CN=Test CA, O=Test"/.test(x.message)));
    assert.ok(f.some((x) => x.severity === 'info' && /valid until/.test(x.message) && x.file === pki.tls.cert));
  });

  test('mismatched key', async () => {
    const tls = await config(pki.gateway.certPem, pki.client.keyPem, pki.ca.certPem);
    const e = (await checkTlsMaterial(tls)).filter((x) => x.severity === 'error');
    assert.equal(e.length, 1);
    assert.match(e[0]?.message ?? '', /does not match certificate/);
    assert.equal(e[0]?.file, tls.key);
  });

  test('wrong CA', async () => {
    const f = await checkTlsMaterial(await config(pki.gateway.certPem, pki.gateway.keyPem, pki.otherCa.certPem));
    assert.equal(errors(f).length, 1);
    assert.match(errors(f)[0] ?? '', /not signed by any CA in the ca file/);
  });

  test('expired', async () => {
    const f = await checkTlsMaterial(await config(pki.expiredClient.certPem, pki.expiredClient.keyPem, pki.ca.certPem));
    assert.deepEqual(errors(f).length, 1);
    assert.match(errors(f)[0] ?? '', /expired on/);
  });

  test('expires in 10 days: a warning, still usable', async () => {
    const soon = await leaf({ notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 10 * DAY_MS) });
    const f = await checkTlsMaterial(await config(soon.certPem, soon.keyPem, pki.ca.certPem));
    assert.deepEqual(errors(f), []);
    assert.equal(warnings(f).length, 1);
    assert.match(warnings(f)[0] ?? '', /"CN=GATEWAY" expires in (9|10) days/);
  });

  test('the `now` argument moves the clock', async () => {
    const f = await checkTlsMaterial(pki.tls, new Date(Date.now() + 4000 * DAY_MS));
    assert.ok(errors(f).some((m) => /certificate "CN=GATEWAY" expired/.test(m)));
    assert.ok(errors(f).some((m) => /CA certificate "CN=Test CA, O=Test" expired/.test(m)));
  });

  test('a ca file entry without CA:true is a warning', async () => {
    const f = await checkTlsMaterial(await config(pki.gateway.certPem, pki.gateway.keyPem, pki.ca.certPem + pki.client.certPem));
    assert.deepEqual(errors(f), []);
    assert.match(warnings(f).join('\n'), /"CN=CLOUD_AI, O=Example Hospital" is not a CA/);
  });

  test('a gateway certificate without serverAuth cannot serve TLS listeners', async () => {
    const clientOnly = await leaf({ extKeyUsage: ['clientAuth'] });
    const f = await checkTlsMaterial(await config(clientOnly.certPem, clientOnly.keyPem, pki.ca.certPem));
    assert.deepEqual(errors(f).length, 1);
    assert.match(errors(f)[0] ?? '', /lacks extendedKeyUsage serverAuth/);
  });

  test('every file missing: one error per file, nothing else', async () => {
    const f = await checkTlsMaterial({ cert: `${pki.dir}/x.crt`, key: `${pki.dir}/x.key`, ca: `${pki.dir}/x-ca.crt`, profile: 'bcp195' });
    assert.deepEqual(
      f.map((x) => [x.severity, x.file]),
      [
        ['error', `${pki.dir}/x.crt`],
        ['error', `${pki.dir}/x.key`],
        ['error', `${pki.dir}/x-ca.crt`],
      ],
    );
  });
});
