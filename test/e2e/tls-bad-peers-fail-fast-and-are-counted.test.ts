// Callers that get TLS wrong: no client certificate, a certificate from another CA, an expired
// one -> the handshake fails, counted and audited; a valid certificate for the wrong AE -> 1/1/3
// with reason 'certificate'; plain DICOM on the TLS port, a ClientHello on the plain port and a
// silent TCP connection each end within ARTIM, and an association already running is untouched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';
import { RawScu, startRawScp, tcpConnect, tlsConnect, type RawScp } from '../helpers/ops-peers.ts';
import { mintPki, scrape, waitFor, type Pem, type TestPki } from '../helpers/ops-kit.ts';
import { encodePdu } from '../../src/ul/codec.ts';
import { APPLICATION_CONTEXT, VERIFICATION, IMPLICIT_VR_LE } from '../../src/dimse/sop-classes.ts';

const ARTIM_MS = 1000;

/** Resolves with how long the server took to close a connection we opened. */
function timeToClose(socket: net.Socket): Promise<number> {
  const t0 = Date.now();
  socket.on('error', () => {});
  return new Promise((r) => socket.once('close', () => r(Date.now() - t0)));
}

describe('bad TLS callers fail fast and are counted', () => {
  let gw: RunningGateway;
  let pki: TestPki;
  let pacs: RawScp;
  let bystander: RawScu;

  before(async () => {
    pki = await mintPki(['MODALITY', 'CT']);
    pacs = await startRawScp();
    const [secure, lan, admin] = (await freePorts(3)) as [number, number, number];
    gw = await startGateway(
      `aeTitle: GATEWAY
tls: { cert: gw.crt, key: gw.key, ca: ca.crt }
listeners:
  - { name: secure, host: 127.0.0.1, port: ${secure}, tls: true }
  - { name: lan, host: 127.0.0.1, port: ${lan} }
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs.port} }
  MODALITY: { host: 127.0.0.1, port: 1, certificate: { commonName: MODALITY } }
  CT: { host: 127.0.0.1, port: 2 }
rules:
  - { from: [MODALITY, CT], to: [PACS] }
admin: { host: 127.0.0.1, port: ${admin} }
limits: { artimMs: ${ARTIM_MS} }
audit: { file: audit.jsonl }
log: { level: silent }
`,
      { files: { 'gw.crt': pki.gateway.cert, 'gw.key': pki.gateway.key, 'ca.crt': pki.ca.cert } },
    );
    // An association that runs through everything below and must not notice it.
    bystander = await RawScu.open({ connect: tcpConnect(gw.port('lan')), calledAe: 'PACS', callingAe: 'CT' });
    assert.equal(bystander.outcome.kind, 'accepted');
  });

  after(async () => {
    bystander?.destroy();
    await gw?.stop();
    await pacs?.stop();
  });

  const failures = async () => (await scrape(gw.adminUrl)).get('dicom_gateway_tls_handshake_failures_total', { listener: 'secure' });
  const tlsFailureLines = async () => (await gw.auditLines()).filter((l) => l.event === 'tls-failure');

  /** A TLS caller the gateway must refuse during the handshake: never an A-ASSOCIATE-AC. */
  async function refusedHandshake(opts: tls.ConnectionOptions): Promise<void> {
    const scu = await RawScu.open({ connect: tlsConnect(gw.port('secure'), { ca: pki.ca.cert, ...opts }), calledAe: 'PACS', callingAe: 'MODALITY' }).catch(
      (err: Error) => err,
    );
    if (scu instanceof Error) return; // failed before the client thought the handshake done (TLS 1.2)
    // TLS 1.3: the client finishes first; the server's alert then closes the connection.
    assert.equal(scu.outcome.kind, 'closed', `expected the handshake to fail, got ${JSON.stringify(scu.outcome)}`);
  }

  it('fails the handshake for no certificate, another CA and an expired certificate', async () => {
    const n0 = await failures();
    const cases: [string, Pem | null, RegExp][] = [
      ['no client certificate', null, /no client certificate/],
      ['certificate from another CA', pki.foreign, /unknown CA/],
      ['expired certificate', pki.expired, /expired/],
    ];
    for (const [i, [what, cert, reason]] of cases.entries()) {
      await refusedHandshake(cert ? { cert: cert.cert, key: cert.key } : {});
      const lines = await waitFor(async () => {
        const l = await tlsFailureLines();
        return l.length > i ? l : null;
      }, `audit line for ${what}`);
      const line = lines.at(-1)!;
      assert.match(String(line.reason), reason, `${what}: ${String(line.reason)}`);
      assert.equal(line.listener, 'secure');
      assert.match(String(line.peer), /^127\.0\.0\.1:\d+$/);
    }
    assert.equal(await failures(), n0 + 3);
    assert.equal(pacs.associations.length, 1, 'only the bystander reached the node');
  });

  it('rejects a valid certificate whose CN is not the calling node\u2019s (1/1/3, reason certificate)', async () => {
    const ct = pki.clients.CT!;
    const a = await RawScu.open({ connect: tlsConnect(gw.port('secure'), { ca: pki.ca.cert, cert: ct.cert, key: ct.key }), calledAe: 'PACS', callingAe: 'MODALITY' });
    assert.deepEqual(a.outcome, { kind: 'rejected', result: 1, source: 1, reason: 3 });
    await a.closed;
    const m = await scrape(gw.adminUrl);
    assert.equal(m.get('dicom_gateway_association_rejections_total', { reason: 'certificate' }), 1);
    const line = (await gw.auditLines()).find((l) => l.event === 'association-rejected' && l.listener === 'secure');
    assert.ok(line, 'rejected audit line');
    assert.equal(line.callingAe, 'MODALITY');
    assert.match(String(line.tlsSubject), /CN=CT/);
    assert.match(String(line.reason), /^certificate: .*CN=CT.*MODALITY/);
    // The right certificate for the same call is accepted.
    const mod = pki.clients.MODALITY!;
    const ok = await RawScu.open({ connect: tlsConnect(gw.port('secure'), { ca: pki.ca.cert, cert: mod.cert, key: mod.key }), calledAe: 'PACS', callingAe: 'MODALITY' });
    assert.equal(ok.outcome.kind, 'accepted');
    await ok.release();
  });

  it('ends plain DICOM on the TLS port, TLS on the plain port and a silent connection within ARTIM', async () => {
    const n0 = await failures();
    const rq = encodePdu({
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: 'PACS',
      callingAeTitle: 'CT',
      applicationContextName: APPLICATION_CONTEXT,
      presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
      userInformation: { maxLength: 16384, roleSelections: [], otherItems: [] },
    });
    // Plain DICOM on the TLS port.
    const plain = net.connect({ host: '127.0.0.1', port: gw.port('secure') }, () => plain.write(rq));
    // A TLS ClientHello on the plain port.
    const hello = tls.connect({ host: '127.0.0.1', port: gw.port('lan'), servername: 'localhost', ca: pki.ca.cert });
    // TCP connect to the TLS port, then nothing.
    const silent = net.connect({ host: '127.0.0.1', port: gw.port('secure') });
    const [tPlain, tHello, tSilent] = await Promise.all([timeToClose(plain), timeToClose(hello), timeToClose(silent)]);
    const limit = ARTIM_MS + 1500;
    assert.ok(tPlain < limit, `plain DICOM on the TLS port took ${tPlain} ms`);
    assert.ok(tHello < limit, `ClientHello on the plain port took ${tHello} ms`);
    assert.ok(tSilent < limit, `silent connection took ${tSilent} ms`);
    assert.ok(tSilent >= ARTIM_MS - 100, `silent connection closed after ${tSilent} ms, before ARTIM`);

    // Both bad TLS-port connections are handshake failures; the plain port counts a protocol error.
    await waitFor(async () => (await failures()) === n0 + 2, 'two more handshake failures');
    const lines = await tlsFailureLines();
    assert.ok(lines.some((l) => /not TLS/.test(String(l.reason))), 'audit line for plain DICOM on the TLS port');
    assert.ok(lines.some((l) => /timed out/.test(String(l.reason))), 'audit line for the stalled handshake');
    const m = await scrape(gw.adminUrl);
    assert.ok(m.get('dicom_gateway_protocol_errors_total', { listener: 'lan' }) >= 1, 'ClientHello on the plain port counted');
    assert.equal(m.get('dicom_gateway_associations_active', { listener: 'secure' }), 0);
    assert.equal(m.get('dicom_gateway_associations_active', { listener: 'lan' }), 1, 'only the bystander is open');

    // The bystander never noticed.
    assert.equal(await bystander.echo(), 0);
    const sent = await bystander.store({ size: 200_000, seed: 3 });
    assert.equal(sent.status, 0);
    assert.equal(pacs.stores.at(-1)?.sha256, sent.sha256);
    await bystander.release();
    assert.equal(bystander.abortReceived, null);
  });
});
