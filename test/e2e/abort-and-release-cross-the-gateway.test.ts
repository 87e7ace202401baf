// A-ABORT and release through the relay: an A-ABORT from either side reaches the other with its
// source/reason; a dropped connection becomes A-ABORT source 2; A-RELEASE-RQ/RP are relayed and
// both connections end; a release collision (both sides ask at once) completes on both sides.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway, auditOf, sleep } from '../helpers/e2e.ts';
import { until } from '../helpers/raw-peer.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import {
  EXPLICIT_LE,
  PDU,
  SECONDARY_CAPTURE,
  abortBytes,
  cEchoRq,
  pacedStore,
  rawAssociate,
  rspFor,
  startRawScp,
  type RawPeer,
  type RawScp,
} from '../helpers/raw-peer.ts';
import { decodeCommandSet, type CommandSet } from '../../src/dimse/command-set.ts';

function decodeOk(b: Buffer): CommandSet {
  const r = decodeCommandSet(b);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const ARTIM_MS = 600;
const RELEASE_RQ = Buffer.from([PDU.RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
const RELEASE_RP = Buffer.from([PDU.RELEASE_RP, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
let scp: RawScp;
let manualScp: RawScp;
let gw: RunningGateway;
const peers: RawPeer[] = [];

before(async () => {
  scp = await startRawScp();
  manualScp = await startRawScp({ autoRelease: false });
  gw = await startE2eGateway({
    nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port }, MANUAL: { port: manualScp.port } },
    rules: [{ from: ['SCU'], to: ['ARCHIVE', 'MANUAL'] }],
    limits: { artimMs: ARTIM_MS },
  });
});

after(async () => {
  for (const p of peers) p.destroy();
  await gw?.stop();
  await Promise.all([scp?.stop(), manualScp?.stop()]);
});

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what} not within ${ms} ms`)), ms))]);
}

async function associate(called = 'ARCHIVE', node = scp): Promise<{ caller: RawPeer; node: RawPeer; sendMax: number }> {
  const a = await rawAssociate(gw.port('lan'), {
    called,
    calling: 'SCU',
    contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
  });
  assert.equal(a.answer[0], PDU.AC);
  peers.push(a.peer);
  const n = await node.nextConnection();
  return { caller: a.peer, node: n, sendMax: a.ac!.userInformation.maxLength ?? 0 };
}

test('the node aborts mid-transfer: the caller receives that A-ABORT, both connections end', async () => {
  const { caller, node, sendMax } = await associate();
  await pacedStore(caller, 1, sendMax, 5);
  await until(() => node.bytesIn > 50_000, 5000, 'data flowing');
  await node.send(abortBytes(0, 0));
  assert.deepEqual(await caller.waitType(PDU.ABORT), abortBytes(0, 0), 'source/reason kept');
  await within(Promise.all([caller.closed, node.closed]), ARTIM_MS + 2000, 'both closed');
  const lines = await auditOf(gw, 'association-aborted');
  assert.ok(lines.some((l) => /A-ABORT from node/.test(String(l.reason))), 'audited');
});

test('the caller aborts mid-transfer: the node receives that A-ABORT', async () => {
  const { caller, node, sendMax } = await associate();
  await pacedStore(caller, 1, sendMax, 5);
  await until(() => node.bytesIn > 50_000, 5000, 'data flowing');
  await caller.send(abortBytes(0, 0));
  assert.deepEqual(await node.waitType(PDU.ABORT), abortBytes(0, 0), 'source/reason kept');
  await within(Promise.all([caller.closed, node.closed]), ARTIM_MS + 2000, 'both closed');
});

test('the caller drops TCP mid-transfer: the node receives A-ABORT source 2', async () => {
  const { caller, node, sendMax } = await associate();
  await pacedStore(caller, 1, sendMax, 5);
  await until(() => node.bytesIn > 50_000, 5000, 'data flowing');
  caller.destroy();
  assert.deepEqual(await node.waitType(PDU.ABORT), abortBytes(2, 0));
  await within(node.closed, ARTIM_MS + 2000, 'node leg closed');
});

test('release: RQ and RP relayed unchanged, both connections closed', async () => {
  const { caller, node } = await associate();
  await caller.send(RELEASE_RQ);
  assert.deepEqual(await node.waitType(PDU.RELEASE_RQ), RELEASE_RQ);
  assert.deepEqual(await caller.waitType(PDU.RELEASE_RP), RELEASE_RP);
  // The RP sender's leg is closed by the gateway; the requester closes its own.
  await within(node.closed, 2000, 'node leg closed after the RP');
  caller.socket.end();
  await within(caller.closed, 2000, 'caller closed');
  assert.deepEqual(caller.aborts(), []);
  assert.deepEqual(node.aborts(), []);
  await sleep(20);
  const lines = await auditOf(gw, 'association-released');
  assert.ok(lines.length >= 1);
});

test('after A-RELEASE-RQ the node may still send P-DATA before its RP, and it reaches the caller', async () => {
  const { caller, node } = await associate('MANUAL', manualScp);
  await caller.send(RELEASE_RQ);
  await node.waitType(PDU.RELEASE_RQ);
  // PS3.8 Sta8: the acceptor may still send P-DATA before answering the release.
  const late = rspFor(decodeOk(cEchoRq(9)), 0x0000);
  await node.sendCommand(1, late, 16384);
  await node.send(RELEASE_RP);
  const m = await caller.nextMessage(3000);
  assert.deepEqual(m.commandBytes, late, 'late response relayed');
  assert.deepEqual(await caller.waitType(PDU.RELEASE_RP), RELEASE_RP);
  caller.socket.end();
  await within(Promise.all([caller.closed, node.closed]), 2000, 'both closed');
  assert.deepEqual(caller.aborts(), []);
});

test('release: a caller that does not close after the RP is closed after artimMs', async () => {
  const { caller } = await associate();
  await caller.send(RELEASE_RQ);
  await caller.waitType(PDU.RELEASE_RP);
  const t0 = Date.now();
  await within(caller.closed, ARTIM_MS + 2000, 'caller closed by ARTIM');
  assert.ok(Date.now() - t0 >= ARTIM_MS - 100);
});

test('release collision: both sides send A-RELEASE-RQ at once, both complete the release', async () => {
  const { caller, node } = await associate('MANUAL', manualScp);
  // PS3.8 9.2 collision: the association requestor (caller) answers first (Sta9 -> Sta11), the
  // acceptor (node) waits for that RP and then sends its own (Sta10 -> Sta12 -> Sta13).
  const callerSide = (async () => {
    await caller.send(RELEASE_RQ);
    await caller.waitType(PDU.RELEASE_RQ);
    await caller.send(RELEASE_RP);
    await caller.waitType(PDU.RELEASE_RP);
    caller.socket.end();
  })();
  const nodeSide = (async () => {
    await node.send(RELEASE_RQ);
    await node.waitType(PDU.RELEASE_RQ);
    await node.waitType(PDU.RELEASE_RP);
    await node.send(RELEASE_RP);
  })();
  await within(Promise.all([callerSide, nodeSide]), 3000, 'collision resolved');
  await within(Promise.all([caller.closed, node.closed]), ARTIM_MS + 2000, 'both closed');
  assert.deepEqual(caller.aborts(), [], 'no A-ABORT to the caller');
  assert.deepEqual(node.aborts(), [], 'no A-ABORT to the node');
  assert.deepEqual(caller.types(), [PDU.AC, PDU.RELEASE_RQ, PDU.RELEASE_RP]);
  assert.deepEqual(node.types(), [PDU.RQ, PDU.RELEASE_RQ, PDU.RELEASE_RP]);
});
