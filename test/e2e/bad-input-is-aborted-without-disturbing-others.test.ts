// Bad input from one caller is answered as PS3.8 says (A-ABORT with the right source/reason, or a
// close), counted (protocol error metric, audit line), and leaves a concurrent healthy association
// untouched: a long C-STORE streams data the whole time and must arrive byte for byte at the end.
// ARTIM (nothing sent after connect) and the idle timeout (nothing either way) are covered too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway, metricValue, auditOf, sleep } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import {
  IMPLICIT_LE,
  PDU,
  SECONDARY_CAPTURE,
  STUDY_ROOT_FIND,
  VERIFICATION,
  EXPLICIT_LE,
  abortBytes,
  cEchoRq,
  pacedStore,
  rawAssociate,
  rawConnect,
  rqBytes,
  startRawScp,
  type PacedStore,
  type RawPeer,
  type RawScp,
  until,
} from '../helpers/raw-peer.ts';
import { pDataPdu } from '../../src/dimse/fragment.ts';

const ARTIM_MS = 500;
const IDLE_MS = 800;
let scp: RawScp;
let gw: RunningGateway;
let healthy: RawPeer;
let healthyNode: RawPeer;
let store: PacedStore;
const peers: RawPeer[] = [];

before(async () => {
  scp = await startRawScp({
    // Policy refuses C-FIND (see rules), so context 3 is never accepted.
    answer: () => ({ accept: { maxLength: 16384 } }),
  });
  gw = await startE2eGateway({
    nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port } },
    rules: [{ from: ['SCU'], to: ['ARCHIVE'], services: ['C-ECHO', 'C-STORE'] }],
    limits: { artimMs: ARTIM_MS, idleMs: IDLE_MS },
  });
  const a = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
  });
  assert.equal(a.answer[0], PDU.AC);
  healthy = a.peer;
  healthyNode = await scp.nextConnection();
  store = await pacedStore(healthy, 1, a.ac!.userInformation.maxLength ?? 0);
});

after(async () => {
  for (const p of peers) p.destroy();
  healthy?.destroy();
  await gw?.stop();
  await scp?.stop();
});

async function connect(): Promise<RawPeer> {
  const p = await rawConnect(gw.port('lan'));
  peers.push(p);
  return p;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what} not within ${ms} ms`)), ms))]);
}

/** The healthy association is still streaming: the node keeps receiving and nobody aborted it. */
async function healthyStillFlowing(): Promise<void> {
  const before = healthyNode.bytesIn;
  await until(() => healthyNode.bytesIn > before, 3000, 'the long C-STORE to keep flowing');
  assert.deepEqual(healthy.aborts(), [], 'no A-ABORT to the healthy caller');
  assert.deepEqual(healthyNode.aborts(), [], 'no A-ABORT to the healthy node leg');
  assert.equal(healthy.isClosed || healthyNode.isClosed, false);
}

/** Sends `bytes`; the sender gets exactly A-ABORT source/reason, is closed, and one protocol error
 *  of `kind` is counted. */
async function sendExpectAbort(p: RawPeer, bytes: Buffer, source: number, reason: number, kind: string): Promise<void> {
  const labels = { listener: 'lan', kind };
  const before = await metricValue(gw, 'dicom_gateway_protocol_errors_total', labels);
  await p.send(bytes);
  const pdu = await p.waitType(PDU.ABORT, 2000);
  assert.deepEqual(pdu, abortBytes(source, reason));
  await within(p.closed, ARTIM_MS + 2000, 'close after A-ABORT');
  assert.equal(await metricValue(gw, 'dicom_gateway_protocol_errors_total', labels), before + 1, `protocol error ${kind} counted`);
  await healthyStillFlowing();
}

test('garbage bytes (an HTTP request): A-ABORT 2/1, audited', async () => {
  const p = await connect();
  await sendExpectAbort(p, Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 2, 1, 'unrecognized-pdu');
  const lines = await auditOf(gw, 'association-aborted');
  assert.ok(lines.some((l) => (l.detail as Record<string, unknown> | undefined)?.protocolError === 'unrecognized-pdu'), 'audit line with the protocol error');
});

test('unknown PDU type 0x0A: A-ABORT 2/1', async () => {
  const p = await connect();
  await sendExpectAbort(p, Buffer.from([0x0a, 0, 0, 0, 0, 4, 0, 0, 0, 0]), 2, 1, 'unrecognized-pdu');
});

test('A-ASSOCIATE-RQ announcing 0x7FFFFFFF bytes: A-ABORT at once, nothing buffered', async () => {
  const p = await connect();
  const rss = process.memoryUsage().rss;
  const t0 = Date.now();
  const header = Buffer.from([0x01, 0, 0x7f, 0xff, 0xff, 0xff]);
  await sendExpectAbort(p, Buffer.concat([header, rqBytes({ called: 'ARCHIVE', calling: 'SCU' }).subarray(6)]), 2, 6, 'pdu-too-large');
  assert.ok(Date.now() - t0 < 1500, 'answered without waiting for the body');
  assert.ok(process.memoryUsage().rss - rss < 256 * 1024 * 1024, 'no 2 GB buffer');
});

test('truncated A-ASSOCIATE-RQ then close: the connection is dropped, nothing relayed', async () => {
  const requestsBefore = scp.requests.length;
  const p = await connect();
  await p.send(rqBytes({ called: 'ARCHIVE', calling: 'SCU' }).subarray(0, 40));
  await sleep(50);
  p.socket.end();
  await within(p.closed, 2000, 'close');
  await sleep(50);
  assert.deepEqual(p.types(), [], 'no PDU answered to a half RQ');
  assert.equal(scp.requests.length, requestsBefore, 'the node saw nothing');
  assert.equal(await metricValue(gw, 'dicom_gateway_associations_active', { listener: 'lan' }), 1, 'only the healthy association is open');
  await healthyStillFlowing();
});

test('A-ASSOCIATE-RQ with a presentation context item running past the PDU: A-ABORT 2/6', async () => {
  const rq = rqBytes({ called: 'ARCHIVE', calling: 'SCU' });
  const pcAt = 74 + 4 + rq.readUInt16BE(76); // after the application context item
  assert.equal(rq[pcAt], 0x20);
  rq.writeUInt16BE(0xfff0, pcAt + 2);
  const p = await connect();
  await sendExpectAbort(p, rq, 2, 6, 'invalid-pdu-parameter-value');
});

test('A-ASSOCIATE-RQ without an application context item: A-ABORT 2/6', async () => {
  const rq = rqBytes({ called: 'ARCHIVE', calling: 'SCU' });
  rq[74] = 0x11; // the 0x10 item becomes an unknown item type, which is ignored
  const p = await connect();
  await sendExpectAbort(p, rq, 2, 6, 'invalid-pdu-parameter-value');
});

test('P-DATA-TF before any association: A-ABORT 2/2', async () => {
  const p = await connect();
  await sendExpectAbort(p, pDataPdu(1, true, true, cEchoRq(1)), 2, 2, 'unexpected-pdu');
});

test('P-DATA on a presentation context that was not accepted: A-ABORT to the caller, 2/0 to the node', async () => {
  const { peer, ac } = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: [IMPLICIT_LE] },
    ],
  });
  peers.push(peer);
  assert.deepEqual(
    ac!.presentationContexts.map((pc) => pc.result),
    [0, 3],
  );
  const node = await scp.nextConnection();
  await sendExpectAbort(peer, pDataPdu(3, true, true, cEchoRq(7)), 2, 6, 'invalid-pdu-parameter-value');
  assert.deepEqual(await node.waitType(PDU.ABORT), abortBytes(2, 0));
  await within(node.closed, ARTIM_MS + 2000, 'node leg closed');
  assert.equal(node.messages.length, 0, 'nothing relayed to the node');
});

test('ARTIM: a caller that connects and sends nothing is closed after about artimMs', async () => {
  const p = await connect();
  const t0 = Date.now();
  await within(p.closed, ARTIM_MS + 1500, 'ARTIM close');
  const ms = Date.now() - t0;
  assert.ok(ms >= ARTIM_MS - 50, `closed after ${ms} ms`);
  await healthyStillFlowing();
});

test('idle timeout: an association with no PDU either way is aborted on both sides', async () => {
  const { peer, answer } = await rawAssociate(gw.port('lan'), { called: 'ARCHIVE', calling: 'SCU' });
  peers.push(peer);
  assert.equal(answer[0], PDU.AC);
  const node = await scp.nextConnection();
  const t0 = Date.now();
  assert.deepEqual(await peer.waitType(PDU.ABORT, IDLE_MS + 2000), abortBytes(2, 0));
  assert.deepEqual(await node.waitType(PDU.ABORT, 1000), abortBytes(2, 0));
  const ms = Date.now() - t0;
  assert.ok(ms >= IDLE_MS - 100, `aborted after ${ms} ms`);
  await within(Promise.all([peer.closed, node.closed]), ARTIM_MS + 2000, 'both legs closed');
  const lines = await auditOf(gw, 'association-aborted');
  assert.ok(lines.some((l) => /idle/.test(String(l.reason))), 'audit line says idle');
  await healthyStillFlowing();
});

test('the healthy C-STORE completes byte for byte after all of that', async () => {
  assert.ok(store.sent() > 100_000, `streamed ${store.sent()} bytes meanwhile`);
  const r = await store.finish();
  assert.equal(r.status, 0x0000);
  const m = scp.received.find((x) => x.dataSha256 !== null && x.dataLength === r.length);
  assert.ok(m, 'the node got a data set of the same length');
  assert.equal(m.dataSha256, r.sha);
  assert.deepEqual(healthy.aborts(), []);
});
