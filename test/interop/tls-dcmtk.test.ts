// DICOM TLS at the gateway's edges with real OpenSSL peers: DCMTK 3.6.7 +tls callers with each
// profile option into TLS listeners, the gateway originating TLS to storescp +tls, openssl
// s_client probing versions and suites, and the ways a TLS caller gets refused (handshake,
// identity, wrong transport). Certificates come from the gateway's own issuer (certsInit,
// issueCertificate), RSA because DCMTK's +py/+px TLS 1.2 suites are RSA-only (facts 3.3).
//
// DCMTK 3.6.7 option <-> gateway profile (src/tls/profiles.ts), as asserted below:
//   no switch = +py (B.10) -> bcp195-rfc8996 (B.12, default) or bcp195-nd (B.10): TLS 1.3
//   +px (B.9)              -> bcp195-rfc8996, or bcp195 (B.9) for TLS 1.0/1.1 peers: TLS 1.3
//   +pz (B.11)             -> bcp195-ex (B.11): TLS 1.2 only; with RSA certificates
//                             ECDHE-RSA-AES-GCM (bcp195-rfc8996 takes that too), with ECDSA ones
//                             ECDHE-ECDSA-AES-GCM, where +py/+px find no common suite on bcp195-ex.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certsInit, issueCertificate } from '../../src/tls/pki.ts';
import { encodePdu } from '../../src/ul/codec.ts';
import { APPLICATION_CONTEXT, IMPLICIT_VR_LE, VERIFICATION } from '../../src/dimse/sop-classes.ts';
import { echoscu, rejectTriple, storescp, storescu } from '../helpers/dcmtk.ts';
import type { DcmtkTls, RunningStorescp, ScuOptions } from '../helpers/dcmtk.ts';
import { makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { startInteropGateway } from '../helpers/interop-config.ts';
import { waitFor } from '../helpers/ops-kit.ts';
import { RawScu, tlsConnect } from '../helpers/ops-peers.ts';
import { sClient } from '../helpers/s-client.ts';
import { tempDir } from '../helpers/tmp.ts';

const KB = 1024;
const ARTIM_MS = 2000;

type Profile = NonNullable<DcmtkTls['profile']>;

let work: { dir: string; cleanup(): Promise<void> };
let certs: string;
let gw: RunningGateway;
let archive: RunningStorescp; // plain, behind the TLS listeners
let tlsArchive: RunningStorescp; // storescp +tls (+py), -rc: wants the gateway's client certificate
let tlsArchiveEx: RunningStorescp; // storescp +tls +pz: TLS 1.2 only
let distrustful: RunningStorescp; // storescp +tls trusting only another CA: refuses the gateway's certificate
let files: Instance[];

const pem = (name: string): { cert: string; key: string } => ({ cert: join(certs, `${name}.crt`), key: join(certs, `${name}.key`) });
const ca = (): string => join(certs, 'ca.crt');
const callerTls = (name: string, profile?: Profile): DcmtkTls => ({ ...pem(name), ca: ca(), ...(profile ? { profile } : {}) });

function assertSame(sent: Instance[], got: Map<string, string>): void {
  assert.equal(got.size, sent.length, 'instance count');
  for (const i of sent) assert.equal(got.get(i.sopInstanceUid), i.datasetSha256, i.path);
}

async function handshakeFailures(listener: string): Promise<number> {
  const m = await gw.metrics.tlsHandshakeFailuresTotal.get();
  return m.values.find((v) => v.labels.listener === listener)?.value ?? 0;
}

async function protocolErrors(listener: string): Promise<number> {
  const m = await gw.metrics.protocolErrorsTotal.get();
  return m.values.filter((v) => v.labels.listener === listener).reduce((a, v) => a + v.value, 0);
}

async function auditLines(event: string, g: RunningGateway = gw): Promise<Record<string, unknown>[]> {
  return (await g.auditLines()).filter((l) => l.event === event);
}

/** The first `event` audit line after the `since` already there (the sink writes asynchronously). */
async function nextAuditLine(event: string, since: number, g: RunningGateway = gw): Promise<Record<string, unknown>> {
  const lines = await waitFor(async () => {
    const l = await auditLines(event, g);
    return l.length > since ? l : null;
  }, `a new ${event} audit line`);
  return lines[since]!;
}

before(async () => {
  work = await tempDir('dtg-tls-dcmtk-');
  certs = join(work.dir, 'certs');
  await certsInit({ dir: certs, gatewayName: 'GATEWAY', peers: ['MODALITY', 'INTRUDER', 'ARCHIVE'], force: false, days: 2 });
  const ours = { certPem: await readFile(ca(), 'utf8'), keyPem: await readFile(join(certs, 'ca.key'), 'utf8') };
  const foreignCa = await issueCertificate({ commonName: 'some other CA', ca: true, days: 2 });
  const day = 86_400_000;
  const extra = {
    // Right CA, right CN, but past notAfter.
    expired: await issueCertificate({ commonName: 'MODALITY', issuer: ours, ipAddresses: ['127.0.0.1'], notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) }),
    // Right CN, valid, but signed by a CA the gateway does not trust.
    stranger: await issueCertificate({ commonName: 'MODALITY', issuer: foreignCa, ipAddresses: ['127.0.0.1'], days: 2 }),
  };
  await writeFile(join(certs, 'foreign-ca.crt'), foreignCa.certPem);
  for (const [name, c] of Object.entries(extra)) {
    await writeFile(join(certs, `${name}.crt`), c.certPem);
    await writeFile(join(certs, `${name}.key`), c.keyPem, { mode: 0o600 });
  }
  [archive, tlsArchive, tlsArchiveEx, distrustful] = await Promise.all([
    storescp({ aet: 'ARCHIVE' }),
    storescp({ aet: 'TLS_ARCHIVE', tls: callerTls('ARCHIVE') }),
    storescp({ aet: 'TLS_ARCHIVE', tls: callerTls('ARCHIVE', '+pz') }),
    storescp({ aet: 'TLS_ARCHIVE', tls: { ...pem('ARCHIVE'), ca: join(certs, 'foreign-ca.crt') } }),
  ]);
  gw = await startInteropGateway({
    tls: { ...pem('gateway'), ca: ca() },
    listeners: [
      { name: 'secure', tls: true }, // bcp195-rfc8996 (default)
      { name: 'b9', tls: true, profile: 'bcp195' },
      { name: 'b10', tls: true, profile: 'bcp195-nd' },
      { name: 'b11', tls: true, profile: 'bcp195-ex' },
      { name: 'lan' },
    ],
    nodes: {
      MODALITY: { reachable: false, certificate: { commonName: 'MODALITY' } },
      LAN_MODALITY: { reachable: false },
      ARCHIVE: { port: archive.port },
      TLS_ARCHIVE: { port: tlsArchive.port, tls: true, certificate: { commonName: 'ARCHIVE' } },
      TLS_ARCHIVE_EX: { port: tlsArchiveEx.port, tls: true, profile: 'bcp195-ex', certificate: { commonName: 'ARCHIVE' } },
      // Same storescp, but the gateway expects another identity: it must not relay to it.
      IMPOSTOR: { port: tlsArchive.port, tls: true, certificate: { commonName: 'PACS_SOMEWHERE_ELSE' } },
      DISTRUSTFUL: { port: distrustful.port, tls: true },
    },
    rules: [{ from: ['MODALITY', 'LAN_MODALITY'], to: ['ARCHIVE', 'TLS_ARCHIVE', 'TLS_ARCHIVE_EX', 'IMPOSTOR', 'DISTRUSTFUL'] }],
    limits: { artimMs: ARTIM_MS },
    logLevel: 'error', // the refusals below are expected; GATEWAY_TEST_LOG=warn shows them
  });
  files = await makeInstances(join(work.dir, 'files'), { count: 3, patientId: 'TLS-DCMTK', bytesPerInstance: [2 * KB, 200 * KB, 2048 * KB] });
});

after(async () => {
  await gw?.stop();
  await Promise.all([archive?.stop(), tlsArchive?.stop(), tlsArchiveEx?.stop(), distrustful?.stop()]);
  await work?.cleanup();
});

/** DCMTK TLS arguments; `undefined` profile = no profile switch at all (DCMTK's own default). */
function dcmtkTls(name: string, profile: Profile | undefined): Pick<ScuOptions, 'tls' | 'extraArgs'> {
  if (profile) return { tls: callerTls(name, profile) };
  const p = pem(name);
  return { extraArgs: ['+tls', p.key, p.cert, '+cf', ca()] };
}

describe('DCMTK +tls callers with each 3.6.7 profile option, relayed to a plain storescp', () => {
  const cases: { option: Profile | undefined; listener: string; gatewayProfile: string; protocol: string; cipher: RegExp }[] = [
    // Every switch but +pz offers TLS 1.3, which the gateway's profiles all prefer.
    { option: undefined, listener: 'secure', gatewayProfile: 'bcp195-rfc8996', protocol: 'TLSv1.3', cipher: /^TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/ },
    { option: '+py', listener: 'secure', gatewayProfile: 'bcp195-rfc8996', protocol: 'TLSv1.3', cipher: /^TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/ },
    { option: '+px', listener: 'secure', gatewayProfile: 'bcp195-rfc8996', protocol: 'TLSv1.3', cipher: /^TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/ },
    { option: '+pz', listener: 'secure', gatewayProfile: 'bcp195-rfc8996', protocol: 'TLSv1.2', cipher: /^ECDHE-RSA-AES(128-GCM-SHA256|256-GCM-SHA384)$/ },
    { option: '+py', listener: 'b10', gatewayProfile: 'bcp195-nd', protocol: 'TLSv1.3', cipher: /^TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/ },
    { option: '+px', listener: 'b9', gatewayProfile: 'bcp195', protocol: 'TLSv1.3', cipher: /^TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/ },
    { option: '+pz', listener: 'b11', gatewayProfile: 'bcp195-ex', protocol: 'TLSv1.2', cipher: /^ECDHE-RSA-AES(128-GCM-SHA256|256-GCM-SHA384)$/ },
  ];
  for (const c of cases) {
    test(`${c.option ?? 'default (no switch)'} -> ${c.gatewayProfile} listener: ${c.protocol}, echo and byte-exact store`, async () => {
      const port = gw.port(c.listener);
      // -d prints DCMTK's "TLS CONNECTION DETAILS" block: what was actually negotiated.
      const tlsOpts = dcmtkTls('MODALITY', c.option);
      const echo = await echoscu({ port, aet: 'MODALITY', aec: 'ARCHIVE', ...tlsOpts, extraArgs: [...(tlsOpts.extraArgs ?? []), '-d'] });
      assert.ok(echo.ok, echo.output.slice(-3000));
      assert.equal(/Protocol\s+: (\S+)/.exec(echo.output)?.[1], c.protocol, echo.output.slice(-3000));
      assert.match(/Ciphersuite\s+: ([^,\s]+)/.exec(echo.output)?.[1] ?? '', c.cipher);

      await archive.clear();
      const r = await storescu({ port, aet: 'MODALITY', aec: 'ARCHIVE', ...tlsOpts, files: files.map((i) => i.path) });
      assert.ok(r.ok, r.output.slice(-3000));
      assert.deepEqual(r.statuses, files.map(() => 'Success'));
      assertSame(files, await archive.hashes());
    });
  }
});

// What sets +pz (B.11) apart is ECDHE-ECDSA at TLS 1.2, its only version. With ECDSA certificates
// +py/+px (RSA-only suites at 1.2) depend on TLS 1.3, which bcp195-ex lacks, while +pz depends on
// the ECDSA suites bcp195-ex has. Hence +pz <-> bcp195-ex, and RSA certificates for mixed peers.
describe('ECDSA certificates: +pz pairs with bcp195-ex', () => {
  let ecGw: RunningGateway;
  let ecCerts: string;
  const ecTls = (profile: Profile): DcmtkTls => ({ cert: join(ecCerts, 'MODALITY.crt'), key: join(ecCerts, 'MODALITY.key'), ca: join(ecCerts, 'ca.crt'), profile });

  before(async () => {
    ecCerts = join(work.dir, 'ec-certs');
    await certsInit({ dir: ecCerts, gatewayName: 'GATEWAY', peers: ['MODALITY'], force: false, days: 2, keyType: 'ec' });
    ecGw = await startInteropGateway({
      tls: { cert: join(ecCerts, 'gateway.crt'), key: join(ecCerts, 'gateway.key'), ca: join(ecCerts, 'ca.crt') },
      listeners: [{ name: 'secure', tls: true }, { name: 'b11', tls: true, profile: 'bcp195-ex' }],
      nodes: { MODALITY: { reachable: false, certificate: { commonName: 'MODALITY' } }, ARCHIVE: { port: archive.port } },
      rules: [{ from: ['MODALITY'], to: ['ARCHIVE'] }],
      limits: { artimMs: ARTIM_MS },
      logLevel: 'error',
    });
  });
  after(async () => {
    await ecGw?.stop();
  });

  test('+pz -> bcp195-ex: TLS 1.2 ECDHE-ECDSA-AES-GCM, byte-exact store', async () => {
    const echo = await echoscu({ port: ecGw.port('b11'), aet: 'MODALITY', aec: 'ARCHIVE', tls: ecTls('+pz'), extraArgs: ['-d'] });
    assert.ok(echo.ok, echo.output.slice(-3000));
    assert.equal(/Protocol\s+: (\S+)/.exec(echo.output)?.[1], 'TLSv1.2');
    assert.match(/Ciphersuite\s+: ([^,\s]+)/.exec(echo.output)?.[1] ?? '', /^ECDHE-ECDSA-AES(128-GCM-SHA256|256-GCM-SHA384)$/);
    await archive.clear();
    const r = await storescu({ port: ecGw.port('b11'), aet: 'MODALITY', aec: 'ARCHIVE', tls: ecTls('+pz'), files: files.map((i) => i.path) });
    assert.ok(r.ok, r.output.slice(-3000));
    assertSame(files, await archive.hashes());
  });

  test('+py with ECDSA: TLS 1.3 on bcp195-rfc8996, refused (and counted) on bcp195-ex', async () => {
    const ok = await echoscu({ port: ecGw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: ecTls('+py'), extraArgs: ['-d'] });
    assert.ok(ok.ok, ok.output.slice(-3000));
    assert.equal(/Protocol\s+: (\S+)/.exec(ok.output)?.[1], 'TLSv1.3');

    const n0 = (await ecGw.metrics.tlsHandshakeFailuresTotal.get()).values.find((v) => v.labels.listener === 'b11')?.value ?? 0;
    const audited = (await auditLines('tls-failure', ecGw)).length;
    const r = await echoscu({ port: ecGw.port('b11'), aet: 'MODALITY', aec: 'ARCHIVE', tls: ecTls('+py'), timeoutMs: 20_000 });
    assert.equal(r.ok, false);
    assert.equal(r.reject, undefined, r.output);
    assert.match(r.failure ?? '', /handshake failure/, r.output);
    assert.match(String((await nextAuditLine('tls-failure', audited, ecGw)).reason), /no shared cipher/);
    const n1 = (await ecGw.metrics.tlsHandshakeFailuresTotal.get()).values.find((v) => v.labels.listener === 'b11')?.value ?? 0;
    assert.equal(n1, n0 + 1);
  });
});

describe('the gateway originates TLS to storescp +tls (client certificate required, -rc)', () => {
  test('plain storescu -> LAN listener -> storescp +tls (+py), node CN matches: byte-exact', async () => {
    await tlsArchive.clear();
    const r = await storescu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'TLS_ARCHIVE', files: files.map((i) => i.path) });
    assert.ok(r.ok, r.output.slice(-3000));
    assertSame(files, await tlsArchive.hashes());
  });

  test('node profile bcp195-ex -> storescp +tls +pz (TLS 1.2 only): byte-exact', async () => {
    await tlsArchiveEx.clear();
    const r = await storescu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'TLS_ARCHIVE_EX', files: files.map((i) => i.path) });
    assert.ok(r.ok, r.output.slice(-3000));
    // +pz speaks TLS 1.2 only, so this also shows the node leg capped at 1.2 works.
    assertSame(files, await tlsArchiveEx.hashes());
  });

  test('a node whose server certificate is not its configured identity: storescu gets 2/3/1, nothing stored', async () => {
    await tlsArchive.clear();
    const r = await storescu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'IMPOSTOR', files: files.map((i) => i.path) });
    assert.equal(r.ok, false);
    assert.equal(rejectTriple(r.reject), '2/3/1', r.output.slice(-3000));
    assert.deepEqual(await tlsArchive.received(), []);
    const lines = await waitFor(async () => (await auditLines('certificate-failure')).filter((l) => l.node === 'IMPOSTOR'), 'certificate-failure audit line');
    assert.match(String(lines.at(-1)?.reason), /PACS_SOMEWHERE_ELSE/);
    // The same storescp under its real identity is still served (the refused handshake left it idle).
    const ok = await echoscu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'TLS_ARCHIVE' });
    assert.ok(ok.ok, ok.output);
  });

  test('a node that refuses the gateway\u2019s client certificate: 2/3/1, promptly', async () => {
    // With TLS 1.3 the gateway's handshake completes before storescp checks our certificate; the
    // refusal then arrives as an alert instead of an A-ASSOCIATE-AC.
    const r = await storescu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'DISTRUSTFUL', files: files.map((i) => i.path), timeoutMs: 20_000 });
    assert.equal(r.ok, false);
    assert.equal(rejectTriple(r.reject), '2/3/1', r.output.slice(-3000));
    assert.ok(r.durationMs < ARTIM_MS, `took ${r.durationMs} ms`);
    assert.deepEqual(await distrustful.received(), []);
  });
});

describe('openssl s_client against the TLS listeners', () => {
  const client = (): string[] => ['-cert', pemPath('MODALITY', 'crt'), '-key', pemPath('MODALITY', 'key')];
  // Legacy versions need the client's security level lowered or OpenSSL 3 would not even offer
  // them (no SHA-1/MD5 handshake signatures at level 1): only then is the refusal the server's.
  const legacy = ['-cipher', 'DEFAULT@SECLEVEL=0'];

  test('TLS 1.0 and 1.1: the gateway answers protocol_version (alert 70) and counts it; bcp195 (B.9) accepts them', async () => {
    for (const version of ['-tls1', '-tls1_1']) {
      const n0 = await handshakeFailures('secure');
      const audited = (await auditLines('tls-failure')).length;
      const r = await sClient({ port: gw.port('secure'), ca: ca(), args: [version, ...legacy, ...client()] });
      assert.notEqual(r.code, 0);
      assert.equal(r.protocol, undefined, r.stderr);
      assert.equal(r.alertReceived?.number, 70, `${version}: ${r.stderr}`);
      assert.match(r.alertReceived?.text ?? '', /protocol version/);
      await waitFor(async () => (await handshakeFailures('secure')) === n0 + 1, `${version} counted`);
      assert.match(String((await nextAuditLine('tls-failure', audited)).reason), /TLS version mismatch/);

      // Control: the same client did offer that version, as the legacy profile shows.
      const b9 = await sClient({ port: gw.port('b9'), ca: ca(), args: [version, ...legacy, ...client()] });
      assert.equal(b9.protocol, version === '-tls1' ? 'TLSv1' : 'TLSv1.1', b9.stderr);
    }
  });

  test('an out-of-profile TLS 1.2 suite (AES128-SHA): handshake_failure (alert 40) from the gateway', async () => {
    const n0 = await handshakeFailures('secure');
    const audited = (await auditLines('tls-failure')).length;
    const r = await sClient({ port: gw.port('secure'), ca: ca(), args: ['-tls1_2', '-cipher', 'AES128-SHA', ...client()] });
    assert.notEqual(r.code, 0);
    assert.equal(r.alertReceived?.number, 40, r.stderr);
    await waitFor(async () => (await handshakeFailures('secure')) === n0 + 1, 'AES128-SHA counted');
    assert.match(String((await nextAuditLine('tls-failure', audited)).reason), /no shared cipher/);
    // B.9 still carries TLS_RSA_WITH_AES_128_CBC_SHA for old peers.
    const b9 = await sClient({ port: gw.port('b9'), ca: ca(), args: ['-tls1_2', '-cipher', 'AES128-SHA', ...client()] });
    assert.equal(b9.cipher, 'AES128-SHA', b9.stderr);
  });

  for (const [what, args, protocol, cipher] of [
    ['TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384'], 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'],
    ['TLS 1.3', ['-tls1_3'], 'TLSv1.3', undefined],
  ] as const) {
    test(`${what} with the client certificate: accepted, and an association runs over it`, async () => {
      const n0 = await handshakeFailures('secure');
      const r = await sClient({ port: gw.port('secure'), ca: ca(), args: [...args, ...client()], dicom: echoAssociation('GATEWAY', 'MODALITY') });
      assert.equal(r.protocol, protocol, r.stderr);
      if (cipher) assert.equal(r.cipher, cipher);
      assert.match(r.stderr, /^Verification: OK/m);
      assert.ok(r.associated, `no A-ASSOCIATE-AC: ${r.stderr}`);
      assert.ok(r.released, `no A-RELEASE-RP: ${r.stderr}`);
      assert.equal(await handshakeFailures('secure'), n0);
    });
  }
});

describe('refused at the handshake, and counted', () => {
  const cases: { what: string; args: (ca: string) => string[]; reason: RegExp }[] = [
    // +tla: TLS without a certificate of our own (the gateway's is still verified, -rc).
    { what: 'no client certificate', args: (c) => ['+tla', '+cf', c], reason: /no client certificate/ },
    { what: 'a certificate from another CA', args: (c) => ['+tls', pemPath('stranger', 'key'), pemPath('stranger', 'crt'), '+cf', c], reason: /unknown CA/ },
    { what: 'an expired certificate', args: (c) => ['+tls', pemPath('expired', 'key'), pemPath('expired', 'crt'), '+cf', c], reason: /expired/ },
  ];
  for (const c of cases) {
    test(`echoscu with ${c.what}: no association, one more handshake failure`, async () => {
      const n0 = await handshakeFailures('secure');
      const audited0 = (await auditLines('tls-failure')).length;
      const r = await echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', extraArgs: c.args(ca()), timeoutMs: 20_000 });
      assert.equal(r.ok, false);
      // Never an A-ASSOCIATE-RJ: the TLS layer refuses before any PDU is read.
      assert.equal(r.reject, undefined, r.output);
      assert.ok(r.failure, r.output);
      assert.doesNotMatch(r.output, /Association Accepted/);
      await waitFor(async () => (await handshakeFailures('secure')) === n0 + 1, `${c.what} counted`);
      const line = await nextAuditLine('tls-failure', audited0);
      assert.match(String(line.reason), c.reason);
      assert.equal(line.listener, 'secure');
      assert.match(String(line.peer), /^127\.0\.0\.1:\d+$/);
    });
  }
});

test('a valid certificate with the wrong identity: A-ASSOCIATE-RJ 1/1/3, audited with AE and subject', async () => {
  const n0 = await handshakeFailures('secure');
  const r = await echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: callerTls('INTRUDER') });
  assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
  assert.equal(r.reject?.reasonText, 'Calling AE Title Not Recognized');
  assert.equal(await handshakeFailures('secure'), n0, 'the handshake itself succeeded');
  const lines = await waitFor(async () => (await auditLines('association-rejected')).filter((l) => /CN=INTRUDER/.test(String(l.tlsSubject))), 'rejection audit line');
  const line = lines.at(-1)!;
  assert.equal(line.callingAe, 'MODALITY');
  assert.equal(line.calledAe, 'ARCHIVE');
  assert.equal(line.listener, 'secure');
  assert.match(String(line.tlsSubject), /CN=INTRUDER/);
  assert.match(String(line.reason), /MODALITY/);
  assert.match(String(line.reason), /INTRUDER/);
});

test('plain DICOM on the TLS port and TLS on the plain port fail within ARTIM; other associations carry on', async () => {
  // Held open across the bad calls: a TLS association to the gateway's own AE (C-ECHO)...
  const mod = pem('MODALITY');
  const bystander = await RawScu.open({
    connect: tlsConnect(gw.port('secure'), { ca: await readFile(ca()), cert: await readFile(mod.cert), key: await readFile(mod.key) }),
    calledAe: 'GATEWAY',
    callingAe: 'MODALITY',
  });
  try {
    assert.equal(bystander.outcome.kind, 'accepted');
    const n0 = await handshakeFailures('secure');
    const audited = (await auditLines('tls-failure')).length;
    const lanErrors0 = await protocolErrors('lan');
    await archive.clear();
    // ...and a relayed store running at the same time.
    const [store, plainOnTls, tlsOnPlain] = await Promise.all([
      storescu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: callerTls('MODALITY'), files: files.map((i) => i.path) }),
      echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', timeoutMs: 20_000 }),
      echoscu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'ARCHIVE', tls: callerTls('MODALITY'), timeoutMs: 20_000 }),
    ]);
    for (const [what, r] of [['plain echoscu on the TLS port', plainOnTls], ['echoscu +tls on the plain port', tlsOnPlain]] as const) {
      assert.equal(r.ok, false, what);
      assert.equal(r.reject, undefined, `${what}: ${r.output}`);
      assert.ok(r.failure, `${what}: ${r.output}`);
      assert.ok(r.durationMs < ARTIM_MS, `${what} took ${r.durationMs} ms`);
    }
    await waitFor(async () => (await handshakeFailures('secure')) === n0 + 1, 'plain DICOM on the TLS port counted');
    assert.match(String((await nextAuditLine('tls-failure', audited)).reason), /not TLS/);
    await waitFor(async () => (await protocolErrors('lan')) === lanErrors0 + 1, 'the ClientHello on the plain port counted as a protocol error');

    assert.ok(store.ok, store.output.slice(-3000));
    assertSame(files, await archive.hashes());
    assert.equal(await bystander.echo(), 0);
    await bystander.release();
    assert.equal(bystander.abortReceived, null);
  } finally {
    bystander.destroy();
  }
});

function pemPath(name: string, ext: 'crt' | 'key'): string {
  // `certs` is set in before(); test bodies (and arg builders) run after it.
  return join(certs, `${name}.${ext}`);
}

/** A-ASSOCIATE-RQ for C-ECHO, the start of the A-ASSOCIATE-AC that answers it, and A-RELEASE-RQ. */
function echoAssociation(called: string, calling: string): { rq: Buffer; acMarker: Buffer; release: Buffer } {
  const rq = encodePdu({
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: called,
    callingAeTitle: calling,
    applicationContextName: APPLICATION_CONTEXT,
    presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
    userInformation: { maxLength: 16384, roleSelections: [], otherItems: [] },
  });
  // AC: version 1, two reserved bytes, then the AE titles as the caller sent them (16 bytes each).
  const acMarker = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.from(called.padEnd(16)), Buffer.from(calling.padEnd(16))]);
  return { rq, acMarker, release: encodePdu({ type: 'A-RELEASE-RQ' }) };
}
