// Move Destination control (CONTRACT "C-MOVE across NAT"): a C-MOVE-RQ naming a destination that is
// not a reachable node allowed to receive from the moving node is answered by the gateway itself
// with C-MOVE-RSP 0xA801 and an Error Comment and never reaches the node; an allowed destination is
// forwarded unchanged (command and identifier bytes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditOf, startE2eGateway, metricValue, sleep } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { IMPLICIT_LE, PDU, STUDY_ROOT_MOVE, cMoveRq, rawAssociate, startRawScp, type RawPeer, type RawScp } from '../helpers/raw-peer.ts';
import { TAG, errorComment, messageIdBeingRespondedTo, status, getUint16 } from '../../src/dimse/command-set.ts';

let scp: RawScp;
let gw: RunningGateway;
let caller: RawPeer;
let node: RawPeer;
let sendMax = 0;

/** Implicit VR LE identifier: Query/Retrieve Level STUDY, Study Instance UID. */
function identifier(studyUid: string): Buffer {
  const el = (group: number, element: number, value: string, pad: number) => {
    const v = Buffer.from(value.length % 2 ? value + String.fromCharCode(pad) : value, 'latin1');
    const h = Buffer.alloc(8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(element, 2);
    h.writeUInt32LE(v.length, 4);
    return Buffer.concat([h, v]);
  };
  return Buffer.concat([el(0x0008, 0x0052, 'STUDY', 0x20), el(0x0020, 0x000d, studyUid, 0)]);
}

before(async () => {
  scp = await startRawScp();
  gw = await startE2eGateway({
    nodes: {
      SCU: { port: 104 },
      ARCHIVE: { port: scp.port },
      DEST: { port: 104 },
      HIDDEN: { port: 104, reachable: false },
      NOSTORE: { port: 104 },
    },
    rules: [
      { from: ['SCU'], to: ['ARCHIVE'] },
      { from: ['ARCHIVE'], to: ['DEST', 'HIDDEN'] },
      { from: ['ARCHIVE'], to: ['NOSTORE'], services: ['C-ECHO'] },
    ],
  });
  const a = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [{ id: 1, abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: [IMPLICIT_LE] }],
  });
  assert.equal(a.answer[0], PDU.AC);
  assert.equal(a.ac!.presentationContexts[0]!.result, 0);
  caller = a.peer;
  sendMax = a.ac!.userInformation.maxLength ?? 0;
  node = await scp.nextConnection();
});

after(async () => {
  caller?.destroy();
  await gw?.stop();
  await scp?.stop();
});

for (const [dest, why] of [
  ['NOWHERE', 'not a node'],
  ['HIDDEN', 'a node with reachable: false'],
  ['NOSTORE', 'a node the rules do not let ARCHIVE store to'],
  ['SCU', 'a node with no rule from ARCHIVE'],
] as const) {
  test(`Move Destination ${dest} (${why}): 0xA801 from the gateway, nothing forwarded`, async () => {
    const id = 10 + dest.length;
    const before = await metricValue(gw, 'dicom_gateway_move_destination_rejections_total', { node: 'ARCHIVE' });
    const nodePdusBefore = node.received.length;
    await caller.sendCommand(1, cMoveRq(id, dest), sendMax);
    await caller.sendData(1, identifier('1.2.3.4'), sendMax);
    const rsp = await caller.nextMessage(3000);
    assert.equal(getUint16(rsp.command, TAG.CommandField), 0x8021, 'C-MOVE-RSP');
    assert.equal(status(rsp.command), 0xa801);
    assert.equal(messageIdBeingRespondedTo(rsp.command), id);
    const comment = errorComment(rsp.command) ?? '';
    assert.ok(comment.trim().length > 0 && comment.length <= 64, `Error Comment: '${comment}'`);
    assert.equal(rsp.dataSha256, null, 'no identifier in the response');
    await sleep(100);
    assert.equal(node.received.length, nodePdusBefore, 'the node received nothing');
    assert.equal(await metricValue(gw, 'dicom_gateway_move_destination_rejections_total', { node: 'ARCHIVE' }), before + 1);
  });
}

test('an allowed Move Destination is forwarded unchanged and the node answers', async () => {
  const command = cMoveRq(42, 'DEST');
  const ident = identifier('1.2.840.99.7');
  await caller.sendCommand(1, command, sendMax);
  await caller.sendData(1, ident, sendMax);
  const rsp = await caller.nextMessage(3000);
  assert.equal(status(rsp.command), 0x0000, 'the node answered success');
  assert.equal(messageIdBeingRespondedTo(rsp.command), 42);
  assert.equal(scp.received.length, 1, 'only the allowed C-MOVE reached the node');
  const seen = scp.received[0]!;
  assert.deepEqual(seen.commandBytes, command, 'command bytes unchanged');
  assert.deepEqual(seen.data, ident, 'identifier bytes unchanged');
  assert.deepEqual(caller.aborts(), []);
});

test('an identifier that is not a data set: 0xA900 from the gateway, nothing forwarded, audited', async () => {
  const nodeMessagesBefore = scp.received.length;
  const garbage = Buffer.from('this is not a DICOM data set, just text.', 'latin1');
  await caller.sendCommand(1, cMoveRq(77, 'DEST'), sendMax);
  await caller.sendData(1, garbage, sendMax);
  const rsp = await caller.nextMessage(3000);
  assert.equal(getUint16(rsp.command, TAG.CommandField), 0x8021, 'C-MOVE-RSP');
  assert.equal(status(rsp.command), 0xa900);
  assert.equal(messageIdBeingRespondedTo(rsp.command), 77);
  assert.match(errorComment(rsp.command) ?? '', /Identifier is not a valid data set/);
  await sleep(100);
  assert.equal(scp.received.length, nodeMessagesBefore, 'the node never saw the C-MOVE');
  const audit = await auditOf(gw, 'dimse-request-refused');
  assert.equal(audit.length, 1);
  assert.match(String(audit[0]!.reason), /C-MOVE-RQ refused with 0xA900/);
  // The association carries on: a valid move right after works.
  await caller.sendCommand(1, cMoveRq(78, 'DEST'), sendMax);
  await caller.sendData(1, identifier('1.2.840.99.8'), sendMax);
  assert.equal(status((await caller.nextMessage(3000)).command), 0x0000);
});
