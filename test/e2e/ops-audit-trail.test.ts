// The audit file after accepted, rejected, released, aborted, TLS-failed associations and config
// reloads: one JSON line per event, each with every CONTRACT field (time, event, listener, peer,
// callingAe, calledAe, node, tlsSubject, outcome, reason) and the right values.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';
import { RawScu, startRawScp, tcpConnect, tlsConnect, type RawScp } from '../helpers/ops-peers.ts';
import { AUDIT_FIELDS, mintPki, waitFor, type TestPki } from '../helpers/ops-kit.ts';

type Line = Record<string, unknown>;

describe('audit trail', () => {
  let gw: RunningGateway;
  let pacs: RawScp;
  let pki: TestPki;
  let yaml: string;

  before(async () => {
    pki = await mintPki(['MODALITY']);
    pacs = await startRawScp();
    const [lan, secure, admin] = (await freePorts(3)) as [number, number, number];
    yaml = `aeTitle: GATEWAY
tls: { cert: gw.crt, key: gw.key, ca: ca.crt }
listeners:
  - { name: lan, host: 127.0.0.1, port: ${lan} }
  - { name: secure, host: 127.0.0.1, port: ${secure}, tls: true }
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs.port} }
  MODALITY: { host: 127.0.0.1, port: 1 }
rules:
  - { from: [MODALITY], to: [PACS] }
admin: { host: 127.0.0.1, port: ${admin} }
audit: { file: logs/audit.jsonl }
log: { level: silent }
`;
    gw = await startGateway(yaml, { files: { 'gw.crt': pki.gateway.cert, 'gw.key': pki.gateway.key, 'ca.crt': pki.ca.cert } });
  });

  after(async () => {
    await gw?.stop();
    await pacs?.stop();
  });

  it('writes one complete line per event', async () => {
    const lan = tcpConnect(gw.port('lan'));
    // accepted + released, with DIMSE counts and bytes
    const ok = await RawScu.open({ connect: lan, calledAe: 'PACS', callingAe: 'MODALITY' });
    assert.equal(await ok.echo(), 0);
    assert.equal((await ok.store({ size: 50_000, seed: 1 })).status, 0);
    const okPort = ok.localPort;
    await ok.release();
    // rejected, with its reason
    const stranger = await RawScu.open({ connect: lan, calledAe: 'PACS', callingAe: 'STRANGER' });
    assert.equal(stranger.outcome.kind, 'rejected');
    const strangerPort = stranger.localPort;
    await stranger.closed;
    // aborted by the caller
    const ab = await RawScu.open({ connect: lan, calledAe: 'PACS', callingAe: 'MODALITY' });
    assert.equal(await ab.echo(), 0);
    const abPort = ab.localPort;
    await ab.abort();
    // accepted over TLS: tlsSubject is the client certificate's subject
    const viaTls = await RawScu.open({
      connect: tlsConnect(gw.port('secure'), { ca: pki.ca.cert, cert: pki.clients.MODALITY!.cert, key: pki.clients.MODALITY!.key }),
      calledAe: 'PACS',
      callingAe: 'MODALITY',
    });
    assert.equal(viaTls.outcome.kind, 'accepted');
    await viaTls.release();
    // TLS failure: no client certificate
    const noCert = tls.connect({ host: '127.0.0.1', port: gw.port('secure'), ca: pki.ca.cert, servername: 'localhost' });
    noCert.on('error', () => {});
    await new Promise((r) => noCert.once('close', r));
    // config reloads, good and bad
    assert.equal((await gw.reload(yaml)).ok, true);
    assert.equal((await gw.reload(yaml.replace('aeTitle: GATEWAY', 'aeTitle: "GATE\\\\WAY"'))).ok, false);

    const lines = await waitFor(async () => {
      const l = await gw.auditLines();
      return l.filter((x) => x.event === 'association-released' || x.event === 'association-aborted').length >= 3 && l.some((x) => x.event === 'tls-failure') ? l : null;
    }, 'audit lines');

    for (const line of lines) {
      for (const f of AUDIT_FIELDS) assert.ok(f in line, `field ${f} missing in ${JSON.stringify(line)}`);
      assert.ok(!Number.isNaN(Date.parse(String(line.time))) && /^\d{4}-\d\d-\d\dT/.test(String(line.time)), `time ${String(line.time)}`);
      assert.ok(line.outcome === 'success' || line.outcome === 'failure');
    }
    const by = (event: string, pred: (l: Line) => boolean = () => true) => lines.filter((l) => l.event === event && pred(l));
    const peerIs = (port: number) => (l: Line) => l.peer === `127.0.0.1:${port}`;

    const [accepted] = by('association-accepted', peerIs(okPort));
    assert.ok(accepted, 'accepted line');
    assert.equal(accepted.listener, 'lan');
    assert.equal(accepted.callingAe, 'MODALITY');
    assert.equal(accepted.calledAe, 'PACS');
    assert.equal(accepted.node, 'PACS');
    assert.equal(accepted.tlsSubject, null);
    assert.equal(accepted.outcome, 'success');

    const [released] = by('association-released', peerIs(okPort));
    assert.ok(released, 'released line');
    assert.equal(released.outcome, 'success');
    assert.equal(released.node, 'PACS');
    assert.deepEqual(released.dimse, { 'C-ECHO': 1, 'C-STORE': 1 });
    assert.ok(Number(released.bytesToNode) > 50_000, `bytesToNode ${String(released.bytesToNode)}`);
    assert.ok(Number(released.bytesToCaller) > 0);

    const [rejected] = by('association-rejected', peerIs(strangerPort));
    assert.ok(rejected, 'rejected line');
    assert.equal(rejected.outcome, 'failure');
    assert.equal(rejected.callingAe, 'STRANGER');
    assert.equal(rejected.calledAe, 'PACS');
    assert.match(String(rejected.reason), /calling-ae-not-recognized/);

    const [aborted] = by('association-aborted', peerIs(abPort));
    assert.ok(aborted, 'aborted line');
    assert.equal(aborted.outcome, 'failure');
    assert.equal(aborted.node, 'PACS');
    assert.match(String(aborted.reason), /A-ABORT from caller/);
    assert.deepEqual(aborted.dimse, { 'C-ECHO': 1 });
    assert.equal(typeof aborted.bytesToNode, 'number');

    const [tlsReleased] = by('association-released', (l) => l.listener === 'secure');
    assert.ok(tlsReleased, 'released line for the TLS association');
    assert.match(String(tlsReleased.tlsSubject), /CN=MODALITY/);
    assert.match(String(by('association-accepted', (l) => l.listener === 'secure')[0]?.tlsSubject), /CN=MODALITY/);

    const [tlsFail] = by('tls-failure');
    assert.ok(tlsFail, 'tls-failure line');
    assert.equal(tlsFail.listener, 'secure');
    assert.equal(tlsFail.outcome, 'failure');
    assert.match(String(tlsFail.peer), /^127\.0\.0\.1:\d+$/);
    assert.match(String(tlsFail.reason), /no client certificate/);

    const reloads = by('config-reload');
    assert.deepEqual(
      reloads.map((l) => l.outcome),
      ['success', 'failure'],
    );
    assert.ok(reloads.every((l) => typeof l.reason === 'string' && l.reason !== ''));
  });
});
