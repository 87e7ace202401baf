// DICOM over TLS through the gateway, byte-exact, in both directions: a Node TLS client with a
// client certificate (CN = AE title) into a TLS listener relayed to a plain SCP, and the gateway
// originating mutual TLS to a TLS node that checks it is talking to the gateway. A TLS node whose
// server certificate does not carry its configured identity is refused: transient reject 2/3/1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';
import { RawScu, startRawScp, tlsConnect, type RawScp } from '../helpers/ops-peers.ts';
import { mintPki, scrape, waitFor, type Pem, type TestPki } from '../helpers/ops-kit.ts';

const SIZE = 16 * 1024 * 1024 + 3;

describe('TLS relay, byte-exact both ways', () => {
  let gw: RunningGateway;
  let pki: TestPki;
  let pacs: RawScp;
  let ai: RawScp;
  let impostor: RawScp;
  let modality: Pem;

  before(async () => {
    pki = await mintPki(['MODALITY']);
    modality = pki.clients.MODALITY!;
    const aiCert = await pki.node('AI');
    const impostorCert = await pki.node('IMPOSTOR');
    // TLS nodes demand a client certificate from our CA, as Orthanc and DCMTK -rc do.
    const nodeTls = (c: Pem): tls.TlsOptions => ({ cert: c.cert, key: c.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
    pacs = await startRawScp();
    ai = await startRawScp({ tls: nodeTls(aiCert) });
    impostor = await startRawScp({ tls: nodeTls(impostorCert) });
    const [secure, admin] = (await freePorts(2)) as [number, number];
    gw = await startGateway(
      `aeTitle: GATEWAY
tls: { cert: gw.crt, key: gw.key, ca: ca.crt }
listeners:
  - { name: secure, host: 127.0.0.1, port: ${secure}, tls: true }
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs.port} }
  AI: { host: 127.0.0.1, port: ${ai.port}, tls: true, serverName: localhost, certificate: { commonName: AI } }
  FAKE_AI: { host: 127.0.0.1, port: ${impostor.port}, tls: true, serverName: localhost, certificate: { commonName: AI } }
  MODALITY: { host: 127.0.0.1, port: 1, certificate: { commonName: MODALITY } }
rules:
  - { from: [MODALITY], to: [PACS, AI, FAKE_AI] }
admin: { host: 127.0.0.1, port: ${admin} }
audit: { file: audit.jsonl }
log: { level: silent }
`,
      { files: { 'gw.crt': pki.gateway.cert, 'gw.key': pki.gateway.key, 'ca.crt': pki.ca.cert } },
    );
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([pacs?.stop(), ai?.stop(), impostor?.stop()]);
  });

  const callTls = (calledAe: string) =>
    RawScu.open({
      connect: tlsConnect(gw.port('secure'), { ca: pki.ca.cert, cert: modality.cert, key: modality.key }),
      calledAe,
      callingAe: 'MODALITY',
    });

  it('relays a TLS caller to a plain node byte for byte', async () => {
    const a = await callTls('PACS');
    assert.equal(a.outcome.kind, 'accepted');
    // The caller sees the gateway's certificate.
    assert.equal((a.socket as tls.TLSSocket).getPeerCertificate().fingerprint256, pki.gateway.fingerprint256);
    assert.equal(await a.echo(), 0);
    const sent = await a.store({ size: SIZE, seed: 11 });
    assert.equal(sent.status, 0);
    await a.release();
    const got = pacs.stores.at(-1)!;
    assert.equal(got.bytes, SIZE);
    assert.equal(got.sha256, sent.sha256);
    assert.equal(pacs.associations.at(-1)?.peerCert, null, 'the plain leg is plain');
  });

  it('originates mutual TLS to a TLS node byte for byte, presenting the gateway certificate', async () => {
    const a = await callTls('AI');
    assert.equal(a.outcome.kind, 'accepted');
    const sent = await a.store({ size: SIZE, seed: 12 });
    assert.equal(sent.status, 0);
    assert.equal(await a.echo(), 0);
    await a.release();
    const got = ai.stores.at(-1)!;
    assert.equal(got.bytes, SIZE);
    assert.equal(got.sha256, sent.sha256);
    const seen = ai.associations.at(-1)!;
    assert.equal(seen.peerCert?.fingerprint256, pki.gateway.fingerprint256, 'the node saw the gateway certificate as client certificate');
    assert.equal(seen.callingAe, 'MODALITY');
    assert.equal(seen.calledAe, 'AI');
  });

  it('refuses a TLS node whose certificate does not carry its configured identity (2/3/1)', async () => {
    const before = (await scrape(gw.adminUrl)).get('dicom_gateway_association_rejections_total', { reason: 'node-unreachable' });
    const a = await callTls('FAKE_AI');
    assert.deepEqual(a.outcome, { kind: 'rejected', result: 2, source: 3, reason: 1 });
    await a.closed;
    assert.equal(impostor.associations.length, 0, 'no A-ASSOCIATE-RQ went to the impostor');
    const m = await scrape(gw.adminUrl);
    assert.equal(m.get('dicom_gateway_association_rejections_total', { reason: 'node-unreachable' }), before + 1);
    const lines = await waitFor(async () => {
      const l = await gw.auditLines();
      return l.some((x) => x.event === 'certificate-failure') ? l : null;
    }, 'certificate-failure audit line');
    const certFail = lines.find((x) => x.event === 'certificate-failure')!;
    assert.equal(certFail.node, 'FAKE_AI');
    assert.match(String(certFail.reason), /IMPOSTOR|commonName/i);
    const rj = lines.find((x) => x.event === 'association-rejected' && x.calledAe === 'FAKE_AI')!;
    assert.ok(rj, 'rejected line');
    assert.match(String(rj.reason), /node-unreachable/);
    assert.match(String(rj.tlsSubject), /CN=MODALITY/);
  });
});
