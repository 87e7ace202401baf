// Every A-ASSOCIATE-RJ the gateway sends, as exact bytes (PS3.8 Table 9-21 result/source/reason)
// plus the rejection metric by reason and an audit line; the node's own RJ relayed unchanged; and
// presentation contexts outside the rule's services answered as rejected (3) and never proposed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway, metricValue, auditOf } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import {
  CT_IMAGE_STORAGE,
  EXPLICIT_LE,
  IMPLICIT_LE,
  PDU,
  STUDY_ROOT_FIND,
  VERIFICATION,
  abortBytes,
  rawAssociate,
  rjBytes,
  startRawScp,
  type RawPeer,
  type RawScp,
} from '../helpers/raw-peer.ts';

const ARTIM_MS = 600;
let archive: RawScp;
let silent: RawScp;
let rejector: RawScp;
let closer: RawScp;
let aborter: RawScp;
let gw: RunningGateway;
const open: RawPeer[] = [];

before(async () => {
  archive = await startRawScp();
  silent = await startRawScp({ answer: () => 'silent' });
  rejector = await startRawScp({ answer: () => ({ reject: [1, 2, 2] }) });
  closer = await startRawScp({ answer: () => 'close' });
  aborter = await startRawScp({ answer: () => ({ abort: [0, 0] }) });
  const downPort = await freePort();
  gw = await startE2eGateway({
    nodes: {
      SCU: { port: 104 },
      STRANGER: { port: 104 },
      FARAWAY: { port: 104, host: '127.0.0.2' },
      ARCHIVE: { port: archive.port },
      DOWN: { port: downPort },
      SILENT: { port: silent.port },
      REJECTOR: { port: rejector.port },
      CLOSER: { port: closer.port },
      ABORTER: { port: aborter.port },
    },
    rules: [
      { from: ['SCU'], to: ['ARCHIVE'], services: ['C-ECHO', 'C-STORE'] },
      { from: ['SCU'], to: ['DOWN', 'SILENT', 'REJECTOR', 'CLOSER', 'ABORTER'] },
      { from: ['FARAWAY'], to: ['ARCHIVE'] },
    ],
    limits: { artimMs: ARTIM_MS },
  });
});

after(async () => {
  for (const p of open) p.destroy();
  await gw?.stop();
  await Promise.all([archive?.stop(), silent?.stop(), rejector?.stop(), closer?.stop(), aborter?.stop()]);
});

async function expectReject(called: string, calling: string, rj: [number, number, number], metricReason: string | null) {
  const before = metricReason ? await metricValue(gw, 'dicom_gateway_association_rejections_total', { reason: metricReason }) : 0;
  const t0 = Date.now();
  const { peer, answer } = await rawAssociate(gw.port('lan'), { called, calling });
  open.push(peer);
  assert.deepEqual(answer, rjBytes(...rj), `RJ bytes for ${calling} -> ${called}`);
  if (metricReason) assert.equal(await metricValue(gw, 'dicom_gateway_association_rejections_total', { reason: metricReason }), before + 1);
  // The gateway closes after the RJ (ARTIM at most), never leaving the caller hanging.
  await Promise.race([peer.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('not closed after RJ')), ARTIM_MS + 2000))]);
  assert.deepEqual(peer.types(), [PDU.RJ], 'nothing but the RJ');
  return Date.now() - t0;
}

test('unknown Called AE: 1/1/7 called-ae-not-recognized', async () => {
  await expectReject('NOBODY', 'SCU', [1, 1, 7], 'called-ae-not-recognized');
  const lines = await auditOf(gw, 'association-rejected');
  assert.ok(lines.some((l) => l.calledAe === 'NOBODY' && String(l.reason).startsWith('called-ae-not-recognized')), 'audit line');
});

test('unknown Calling AE: 1/1/3 calling-ae-not-recognized', async () => {
  await expectReject('ARCHIVE', 'NOT_A_NODE', [1, 1, 3], 'calling-ae-not-recognized');
});

test('no rule allows the call: 1/1/3 not-allowed', async () => {
  await expectReject('ARCHIVE', 'STRANGER', [1, 1, 3], 'not-allowed');
});

test('source address does not match the calling node host (checkHost): 1/1/3', async () => {
  await expectReject('ARCHIVE', 'FARAWAY', [1, 1, 3], 'calling-ae-not-recognized');
  assert.equal(archive.requests.length, 0, 'the node was never called');
  // The same AE title from its configured host (another loopback address) is accepted.
  const ok = await rawAssociate(gw.port('lan'), { called: 'ARCHIVE', calling: 'FARAWAY', localAddress: '127.0.0.2' });
  open.push(ok.peer);
  assert.equal(ok.answer[0], PDU.AC);
  ok.peer.destroy();
});

test('node down: 2/3/1 node-unreachable', async () => {
  await expectReject('DOWN', 'SCU', [2, 3, 1], 'node-unreachable');
});

test('node accepts TCP but never answers the RQ: 2/3/1 after artimMs', async () => {
  const ms = await expectReject('SILENT', 'SCU', [2, 3, 1], 'node-unreachable');
  assert.ok(ms >= ARTIM_MS - 50, `rejected after ${ms} ms, expected about ${ARTIM_MS}`);
  assert.equal(silent.requests.length, 1, 'the RQ reached the silent node');
  const node = silent.connections[0]!;
  await Promise.race([node.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('silent node leg not closed')), 3000))]);
});

test('node closes the connection without answering the RQ: 2/3/1 node-unreachable', async () => {
  await expectReject('CLOSER', 'SCU', [2, 3, 1], 'node-unreachable');
  assert.equal(closer.requests.length, 1, 'the RQ reached the node');
});

test('node answers the RQ with A-ABORT: the caller receives that A-ABORT', async () => {
  const { peer, answer } = await rawAssociate(gw.port('lan'), { called: 'ABORTER', calling: 'SCU' });
  open.push(peer);
  assert.deepEqual(answer, abortBytes(0, 0));
  await Promise.race([peer.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('not closed after A-ABORT')), 3000))]);
});

test("the node's own A-ASSOCIATE-RJ is relayed unchanged", async () => {
  const before = await metricValue(gw, 'dicom_gateway_association_rejections_total');
  await expectReject('REJECTOR', 'SCU', [1, 2, 2], null);
  assert.equal(await metricValue(gw, 'dicom_gateway_association_rejections_total'), before, 'not counted as a gateway rejection');
});

test("contexts outside the rule's services are rejected (3) and not proposed to the node", async () => {
  const { peer, answer, ac } = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: [IMPLICIT_LE] },
      { id: 5, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
    ],
  });
  open.push(peer);
  assert.equal(answer[0], PDU.AC);
  assert.deepEqual(
    ac!.presentationContexts.map((pc) => [pc.id, pc.result]),
    [
      [1, 0],
      [3, 3],
      [5, 0],
    ],
  );
  const seen = archive.requests[archive.requests.length - 1]!.rq;
  assert.deepEqual(
    seen.presentationContexts.map((pc) => [pc.id, pc.abstractSyntax]),
    [
      [1, VERIFICATION],
      [5, CT_IMAGE_STORAGE],
    ],
  );
  peer.destroy();
});

test('maxAssociationsPerNode and maxAssociations reached: 2/3/2 limit', async () => {
  const nodes = await Promise.all([startRawScp(), startRawScp(), startRawScp()]);
  const lgw = await startE2eGateway({
    nodes: { SCU: { port: 104 }, A: { port: nodes[0]!.port }, B: { port: nodes[1]!.port }, C: { port: nodes[2]!.port } },
    rules: [{ from: ['SCU'], to: ['A', 'B', 'C'] }],
    limits: { maxAssociations: 2, maxAssociationsPerNode: 1 },
  });
  const held: RawPeer[] = [];
  try {
    const first = await rawAssociate(lgw.port('lan'), { called: 'A', calling: 'SCU' });
    held.push(first.peer);
    assert.equal(first.answer[0], PDU.AC);
    const perNode = await rawAssociate(lgw.port('lan'), { called: 'A', calling: 'SCU' });
    held.push(perNode.peer);
    assert.deepEqual(perNode.answer, rjBytes(2, 3, 2), 'second association to node A');
    const second = await rawAssociate(lgw.port('lan'), { called: 'B', calling: 'SCU' });
    held.push(second.peer);
    assert.equal(second.answer[0], PDU.AC);
    const total = await rawAssociate(lgw.port('lan'), { called: 'C', calling: 'SCU' });
    held.push(total.peer);
    assert.deepEqual(total.answer, rjBytes(2, 3, 2), 'third association overall');
    assert.equal(nodes[2]!.requests.length, 0, 'node C never called');
    assert.equal(await metricValue(lgw, 'dicom_gateway_association_rejections_total', { reason: 'limit' }), 2);
    // A slot frees up when an association ends.
    first.peer.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await rawAssociate(lgw.port('lan'), { called: 'C', calling: 'SCU' });
    held.push(again.peer);
    assert.equal(again.answer[0], PDU.AC, 'accepted once a slot is free');
  } finally {
    for (const p of held) p.destroy();
    await lgw.stop();
    await Promise.all(nodes.map((n) => n.stop()));
  }
});
