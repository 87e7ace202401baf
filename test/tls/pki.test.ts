// certs init / certs show / ensureDevPki, inspected with X509Certificate (and forge for keyUsage bits,
// which Node does not expose), then used for a real mutual-TLS handshake.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import forge from 'node-forge';
import { clientOptions, serverOptions } from '../../src/tls/context.ts';
import { checkTlsMaterial, loadTlsMaterial } from '../../src/tls/material.ts';
import { certsInit, certsIssue, certsShow, ensureDevPki, peerDnsName } from '../../src/tls/pki.ts';
import { peerClient, tryHandshake } from './fixtures.ts';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let root: string;
let dir: string;
let written: string[];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dicom-tls-pki-'));
  dir = join(root, 'certs');
  ({ written } = await certsInit({ dir, gatewayName: 'GATEWAY', peers: ['CLOUD_AI', 'orthanc'], force: false, ipAddresses: ['10.0.0.7'] }));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const x509 = async (name: string) => new X509Certificate(await readFile(join(dir, name)));
const forgeExt = async (name: string, ext: string) => forge.pki.certificateFromPem(await readFile(join(dir, name), 'utf8')).getExtension(ext) as Record<string, unknown>;

describe('certsInit', () => {
  test('writes CA, gateway and one pair per peer, keys 0600', async () => {
    const names = ['ca', 'gateway', 'CLOUD_AI', 'orthanc'].flatMap((b) => [`${b}.crt`, `${b}.key`]);
    assert.deepEqual(written, names.map((f) => join(dir, f)));
    for (const f of names.filter((x) => x.endsWith('.key'))) {
      assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    }
  });

  test('CA: CA:true critical, keyCertSign+cRLSign critical, subjectKeyIdentifier', async () => {
    const ca = await x509('ca.crt');
    assert.equal(ca.ca, true);
    assert.equal(ca.subject, 'O=dicom-tls-gateway dev PKI\nCN=GATEWAY dev CA');
    assert.ok(ca.verify(ca.publicKey));
    const bc = await forgeExt('ca.crt', 'basicConstraints');
    assert.deepEqual([bc['cA'], bc['critical']], [true, true]);
    const ku = await forgeExt('ca.crt', 'keyUsage');
    assert.equal(ku['critical'], true);
    assert.equal(ku['keyCertSign'], true);
    assert.equal(ku['cRLSign'], true);
    assert.equal(ku['digitalSignature'], false);
    assert.ok(await forgeExt('ca.crt', 'subjectKeyIdentifier'));
  });

  test('gateway: SANs, serverAuth+clientAuth, digitalSignature+keyEncipherment, AKI = CA SKI', async () => {
    const [ca, gw] = [await x509('ca.crt'), await x509('gateway.crt')];
    assert.equal(gw.ca, false);
    assert.ok(gw.checkIssued(ca) && gw.verify(ca.publicKey));
    assert.equal(gw.subjectAltName, 'DNS:gateway, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.7');
    assert.deepEqual(gw.keyUsage, [SERVER_AUTH, CLIENT_AUTH]);
    const ku = await forgeExt('gateway.crt', 'keyUsage');
    assert.deepEqual([ku['critical'], ku['digitalSignature'], ku['keyEncipherment'], ku['keyCertSign']], [true, true, true, false]);
    const aki = forge.asn1.fromDer((await forgeExt('gateway.crt', 'authorityKeyIdentifier'))['value'] as string);
    const ski = (await forgeExt('ca.crt', 'subjectKeyIdentifier'))['subjectKeyIdentifier'] as string;
    const akiId = forge.util.bytesToHex(((aki.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1).value as string);
    assert.equal(akiId, ski);
    assert.equal(gw.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  test('peers: CN = AE title, clientAuth+serverAuth, DNS = lowercase AE only when it is a host name', async () => {
    const cloud = await x509('CLOUD_AI.crt');
    assert.equal(cloud.subject, 'O=dicom-tls-gateway dev PKI\nCN=CLOUD_AI');
    assert.equal(cloud.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.deepEqual(cloud.keyUsage, [SERVER_AUTH, CLIENT_AUTH]);
    const orthanc = await x509('orthanc.crt');
    assert.match(orthanc.subjectAltName ?? '', /^DNS:orthanc, DNS:localhost, /);
    assert.equal(peerDnsName('PACS-1'), 'pacs-1');
    assert.equal(peerDnsName('CLOUD_AI'), undefined);
    assert.equal(peerDnsName('ai.example.org'), 'ai.example.org');
    assert.equal(peerDnsName('10.0.0.1'), undefined);
  });

  test('serial numbers: 16 random positive bytes, all different', async () => {
    const serials = await Promise.all(['ca.crt', 'gateway.crt', 'CLOUD_AI.crt', 'orthanc.crt'].map(async (f) => (await x509(f)).serialNumber));
    assert.equal(new Set(serials).size, 4);
    for (const s of serials) {
      assert.equal(s.length, 32);
      assert.ok(parseInt(s.slice(0, 2), 16) < 0x80 && parseInt(s.slice(0, 2), 16) > 0);
    }
  });

  test('refuses to overwrite, listing the files; --force replaces them', async () => {
    const dir = join(root, 'force');
    const x509 = async (name: string) => new X509Certificate(await readFile(join(dir, name)));
    await certsInit({ dir, gatewayName: 'GATEWAY', peers: ['orthanc'], force: false, keyType: 'ec' });
    await assert.rejects(certsInit({ dir, gatewayName: 'GATEWAY', peers: ['orthanc', 'NEW'], force: false }), (err: Error) => {
      assert.match(err.message, /refusing to overwrite existing files \(use --force/);
      assert.ok(err.message.includes(join(dir, 'ca.key')) && err.message.includes(join(dir, 'orthanc.crt')));
      assert.ok(!err.message.includes('NEW.crt'));
      return true;
    });
    const before = (await x509('ca.crt')).fingerprint256;
    const beforeKey = await readFile(join(dir, 'orthanc.key'), 'utf8');
    // a key left world-readable by hand must come back 0600 after --force
    await writeFile(join(dir, 'orthanc.key'), beforeKey, { mode: 0o644 });
    await certsInit({ dir, gatewayName: 'GATEWAY', peers: ['orthanc'], force: true, keyType: 'ec' });
    assert.notEqual((await x509('ca.crt')).fingerprint256, before);
    assert.equal((await stat(join(dir, 'orthanc.key'))).mode & 0o777, 0o600);
  });

  test('rejects AE titles that are not safe file names and names clashing with the PKI', async () => {
    await assert.rejects(certsInit({ dir: join(root, 'x'), gatewayName: 'G', peers: ['../evil'], force: false }), /cannot be a file name/);
    await assert.rejects(certsInit({ dir: join(root, 'x'), gatewayName: 'G', peers: ['ca'], force: false }), /clashes/);
    await assert.rejects(certsInit({ dir: join(root, 'x'), gatewayName: 'G', peers: [], force: false, ipAddresses: ['nope'] }), /not an IP/);
  });

  test('the written PKI passes check and carries a mutual-TLS handshake', async () => {
    const tls = { cert: join(dir, 'gateway.crt'), key: join(dir, 'gateway.key'), ca: join(dir, 'ca.crt'), profile: 'bcp195-rfc8996' as const };
    const f = await checkTlsMaterial(tls);
    assert.deepEqual(f.filter((x) => x.severity !== 'info'), []);
    const m = await loadTlsMaterial(tls);
    const peer = { certPem: await readFile(join(dir, 'orthanc.crt'), 'utf8'), keyPem: await readFile(join(dir, 'orthanc.key'), 'utf8') };
    const r = await tryHandshake(serverOptions(m, 'bcp195-rfc8996', true), peerClient(peer, { certPem: m.caPem }));
    assert.equal(r.ok, true, r.clientError?.message);
    assert.equal(r.authorized, true);
    // and the gateway calling the peer as a TLS node on 127.0.0.1
    const back = await tryHandshake(
      { cert: peer.certPem, key: peer.keyPem, ca: m.caPem, requestCert: true, rejectUnauthorized: true },
      clientOptions(m, 'bcp195-rfc8996', { host: '127.0.0.1' }),
    );
    assert.equal(back.ok, true, back.clientError?.message);
  });

  test('keyType ec: ECDSA P-256 everywhere, check passes', async () => {
    const ecDir = join(root, 'ec');
    await certsInit({ dir: ecDir, gatewayName: 'gw.example.org', peers: ['AI'], force: false, keyType: 'ec', days: 10 });
    const gw = new X509Certificate(await readFile(join(ecDir, 'gateway.crt')));
    assert.equal(gw.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(gw.subjectAltName ?? '', /^DNS:gw\.example\.org, DNS:localhost/);
    const f = await checkTlsMaterial({ cert: join(ecDir, 'gateway.crt'), key: join(ecDir, 'gateway.key'), ca: join(ecDir, 'ca.crt'), profile: 'bcp195-rfc8996' });
    assert.deepEqual(f.filter((x) => x.severity === 'error'), []);
    assert.equal(f.filter((x) => x.severity === 'warning').length, 1); // days: 10 -> expiring soon
  });
});

describe('certsIssue', () => {
  test('adds a peer signed by the existing CA, CN = AE title, key 0600; refuses to overwrite', async () => {
    const r = await certsIssue({ dir, peers: ['CLINIC_2'], force: false });
    assert.deepEqual(r.written, [join(dir, 'CLINIC_2.crt'), join(dir, 'CLINIC_2.key')]);
    const [ca, peer] = [await x509('ca.crt'), await x509('CLINIC_2.crt')];
    assert.ok(peer.verify(ca.publicKey), 'signed by the CA certsInit made');
    assert.ok(peer.subject.includes('CN=CLINIC_2'));
    assert.equal((await stat(join(dir, 'CLINIC_2.key'))).mode & 0o777, 0o600);
    await assert.rejects(certsIssue({ dir, peers: ['CLINIC_2'], force: false }), /refusing to overwrite/);
    await assert.rejects(certsIssue({ dir: join(root, 'nothing-here'), peers: ['X'], force: false }), /no CA/);
  });
});

describe('certsShow', () => {
  test('one certificate: subject, issuer, SANs, validity, fingerprint, key', async () => {
    const gw = await x509('gateway.crt');
    const out = await certsShow(join(dir, 'gateway.crt'));
    assert.match(out, /certificate 1 of 1/);
    assert.match(out, /Subject: +CN=GATEWAY, O=dicom-tls-gateway dev PKI/);
    assert.match(out, /Issuer: +CN=GATEWAY dev CA, O=dicom-tls-gateway dev PKI/);
    assert.match(out, /SANs: +DNS:gateway, DNS:localhost, IP:127\.0\.0\.1, IP:::1, IP:10\.0\.0\.7/);
    assert.match(out, /Not after: +\S+ \((824|825) days left\)/);
    assert.ok(out.includes(`SHA-256:      ${gw.fingerprint256}`));
    assert.match(out, /Key: +RSA 2048 bits/);
    assert.match(out, /Ext\. usage: +serverAuth, clientAuth/);
  });

  test('a bundle shows every certificate; a key file is named, never printed', async () => {
    const bundle = join(root, 'bundle.pem');
    await writeFile(bundle, (await readFile(join(dir, 'gateway.crt'), 'utf8')) + (await readFile(join(dir, 'ca.crt'), 'utf8')));
    const out = await certsShow(bundle);
    assert.match(out, /certificate 1 of 2[\s\S]*CA: +no[\s\S]*certificate 2 of 2[\s\S]*CA: +yes/);
    const keyOut = await certsShow(join(dir, 'gateway.key'));
    assert.match(keyOut, /private key \(rsa 2048 bits\), no certificate/);
    assert.doesNotMatch(keyOut, /BEGIN/);
  });

  test('expired certificates say so', async () => {
    const out = await certsShow(join(dir, 'gateway.crt'), new Date(Date.now() + 900 * 86_400_000));
    assert.match(out, /EXPIRED \d+ days ago/);
  });
});

describe('ensureDevPki', () => {
  test('creates once, then leaves an existing PKI alone', async () => {
    const d = join(root, 'dev');
    assert.deepEqual(await ensureDevPki({ dir: d, gatewayName: 'GATEWAY', peers: [] }), { created: true, dir: d });
    const fp = (await x509('../dev/gateway.crt')).fingerprint256;
    assert.deepEqual(await ensureDevPki({ dir: d, gatewayName: 'GATEWAY', peers: ['X'] }), { created: false, dir: d });
    assert.equal((await x509('../dev/gateway.crt')).fingerprint256, fp);
  });

  test('a half-present PKI is an error, not silently replaced', async () => {
    const d = join(root, 'half');
    await certsInit({ dir: d, gatewayName: 'GATEWAY', peers: [], force: false, keyType: 'ec' });
    await rm(join(d, 'gateway.key'));
    await assert.rejects(ensureDevPki({ dir: d, gatewayName: 'GATEWAY', peers: [] }), /refusing to overwrite existing files.*ca\.crt/);
  });
});
