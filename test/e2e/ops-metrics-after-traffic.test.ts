// Scripted traffic through a real gateway, then /metrics over HTTP must show exactly what happened:
// accepted and rejected associations by reason, PDU bytes each way as counted at the peers, DIMSE
// requests by command and node, the active gauge back at 0, durations, reloads, TLS failures, and
// no label series made from a caller's raw AE title.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';
import { RawScu, newCounters, startRawScp, tcpConnect, type RawScp } from '../helpers/ops-peers.ts';
import { mintPki, scrape, waitFor, type TestPki } from '../helpers/ops-kit.ts';

const UNKNOWN_CALLER = 'STRANGER_AE_X';

describe('metrics after scripted traffic equal what the peers saw', () => {
  let gw: RunningGateway;
  let scp: RawScp;
  let pki: TestPki;
  let yaml: string;
  const callerCounters = newCounters();

  before(async () => {
    pki = await mintPki(['MODALITY']);
    scp = await startRawScp();
    const [lan, secure, admin, down] = (await freePorts(4)) as [number, number, number, number];
    yaml = `
aeTitle: GATEWAY
tls: { cert: gw.crt, key: gw.key, ca: ca.crt }
listeners:
  - { name: lan, host: 127.0.0.1, port: ${lan} }
  - { name: secure, host: 127.0.0.1, port: ${secure}, tls: true }
nodes:
  PACS: { host: 127.0.0.1, port: ${scp.port} }
  MODALITY: { host: 127.0.0.1, port: 1 }
  DOWN: { host: 127.0.0.1, port: ${down} }
  ISOLATED: { host: 127.0.0.1, port: ${scp.port} }
rules:
  - { from: [MODALITY], to: [PACS, DOWN] }
admin: { host: 127.0.0.1, port: ${admin} }
limits: { artimMs: 3000, connectTimeoutMs: 2000 }
log: { level: silent }
audit: { file: audit.jsonl }
`;
    gw = await startGateway(yaml, { files: { 'gw.crt': pki.gateway.cert, 'gw.key': pki.gateway.key, 'ca.crt': pki.ca.cert } });
  });

  after(async () => {
    await gw?.stop();
    await scp?.stop();
  });

  const call = (calledAe: string, callingAe = 'MODALITY') =>
    RawScu.open({ connect: tcpConnect(gw.port('lan')), calledAe, callingAe, counters: [callerCounters] });

  it('counts associations, rejections, bytes, DIMSE requests and durations exactly', async () => {
    // k = 4 accepted: three relayed to PACS, one answered by the gateway's own AE.
    const a1 = await call('PACS');
    assert.equal(a1.outcome.kind, 'accepted');
    assert.equal(await a1.echo(), 0);
    assert.equal((await a1.store({ size: 300_000, seed: 1 })).status, 0);
    assert.equal((await a1.store({ size: 12_345, seed: 2 })).status, 0);
    await a1.release();
    const a2 = await call('PACS');
    assert.equal(await a2.echo(), 0);
    await a2.release();
    const a3 = await call('PACS');
    assert.equal((await a3.store({ size: 1_000_001, seed: 3 })).status, 0);
    await a3.release();
    const a4 = await call('GATEWAY');
    assert.equal(await a4.echo(), 0);
    await a4.release();

    // j = 5 rejections with four distinct reasons.
    const rejects: [string, string, string, [number, number, number]][] = [
      ['NOBODY', 'MODALITY', 'called-ae-not-recognized', [1, 1, 7]],
      ['PACS', UNKNOWN_CALLER, 'calling-ae-not-recognized', [1, 1, 3]],
      ['PACS', UNKNOWN_CALLER, 'calling-ae-not-recognized', [1, 1, 3]],
      ['ISOLATED', 'MODALITY', 'not-allowed', [1, 1, 3]],
      ['DOWN', 'MODALITY', 'node-unreachable', [2, 3, 1]],
    ];
    for (const [called, calling, why, rsr] of rejects) {
      const a = await call(called, calling);
      assert.deepEqual(a.outcome, { kind: 'rejected', result: rsr[0], source: rsr[1], reason: rsr[2] }, `${calling} -> ${called} (${why})`);
      await a.closed;
    }

    // Two bad TLS handshakes: no client certificate, and plain DICOM bytes on the TLS port.
    const noCert = tls.connect({ host: '127.0.0.1', port: gw.port('secure'), ca: pki.ca.cert, servername: 'localhost' });
    noCert.on('error', () => {});
    await new Promise((r) => noCert.once('close', r));
    const plain = net.connect({ host: '127.0.0.1', port: gw.port('secure') });
    plain.on('error', () => {});
    plain.write(Buffer.from('01000000004c0001', 'hex'));
    await new Promise((r) => plain.once('close', r));

    // A good and a bad reload.
    assert.equal((await gw.reload(yaml)).ok, true);
    assert.equal((await gw.reload(yaml.replace('rules:', 'rules: [oops'))).ok, false);

    // Everything has ended: the gauge is back to 0 and the counts settle.
    await waitFor(async () => (await scrape(gw.adminUrl)).get('dicom_gateway_associations_active') === 0 && scp.open === 0, 'associations to end');
    const m = await waitFor(async () => {
      const s = await scrape(gw.adminUrl);
      return s.get('dicom_gateway_bytes_total', { direction: 'to-node' }) === scp.counters.bytesIn ? s : null;
    }, 'bytes to settle').catch(() => scrape(gw.adminUrl));

    assert.equal(m.get('dicom_gateway_associations_total', { listener: 'lan', outcome: 'accepted' }), 4);
    assert.equal(m.get('dicom_gateway_associations_total', { listener: 'lan', outcome: 'rejected' }), 5);
    assert.equal(m.get('dicom_gateway_associations_total', { outcome: 'failed' }), 0);
    const R = 'dicom_gateway_association_rejections_total';
    assert.equal(m.get(R, { reason: 'called-ae-not-recognized' }), 1);
    assert.equal(m.get(R, { reason: 'calling-ae-not-recognized' }), 2);
    assert.equal(m.get(R, { reason: 'not-allowed' }), 1);
    assert.equal(m.get(R, { reason: 'node-unreachable' }), 1);
    assert.equal(m.get(R), 5);

    // PDU bytes, counted independently at the peers.
    assert.equal(m.get('dicom_gateway_bytes_total', { direction: 'to-node' }), scp.counters.bytesIn);
    assert.equal(m.get('dicom_gateway_bytes_total', { direction: 'to-caller' }), callerCounters.bytesIn);
    assert.ok(scp.counters.bytesIn > 1_300_000, 'the data sets went through');

    const D = 'dicom_gateway_dimse_requests_total';
    assert.equal(m.get(D, { command: 'C-ECHO', node: 'PACS' }), 2);
    assert.equal(m.get(D, { command: 'C-STORE', node: 'PACS' }), 3);
    assert.equal(m.get(D, { command: 'C-ECHO', node: 'GATEWAY' }), 1);
    assert.equal(m.get(D), 6);
    assert.equal(scp.stores.length, 3);
    assert.equal(scp.echoes, 2);

    assert.equal(m.get('dicom_gateway_associations_active', { listener: 'lan' }), 0);
    assert.equal(m.get('dicom_gateway_associations_active', { listener: 'secure' }), 0);
    assert.equal(m.get('dicom_gateway_association_duration_seconds_count', { node: 'PACS' }), 3);
    assert.equal(m.get('dicom_gateway_config_reloads_total', { result: 'success' }), 1);
    assert.equal(m.get('dicom_gateway_config_reloads_total', { result: 'failure' }), 1);
    assert.equal(m.get('dicom_gateway_tls_handshake_failures_total', { listener: 'secure' }), 2);
    assert.ok(m.get('dicom_gateway_certificate_expiry_timestamp_seconds', { certificate: 'gateway' }) > Date.now() / 1000);

    // Label values for AE titles are configured node names only (or the gateway's own AE).
    assert.ok(!m.text.includes(UNKNOWN_CALLER), 'an unknown caller AE shows up in /metrics');
    assert.ok(!m.text.includes('NOBODY'), 'an unknown called AE shows up in /metrics');
    const known = new Set(['PACS', 'MODALITY', 'DOWN', 'ISOLATED', 'GATEWAY']);
    for (const s of m.samples) {
      if (s.name.startsWith('dicom_gateway_') && s.labels.node !== undefined) assert.ok(known.has(s.labels.node), `node label ${s.labels.node} on ${s.name}`);
    }
  });
});
