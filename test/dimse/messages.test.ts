import { test } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import * as C from '../../src/dimse/command-set.ts';
import type { CommandSet } from '../../src/dimse/command-set.ts';
import { cCancelRq, cEchoRsp, cGetRsp, cMoveRqFromGet, cMoveRsp, cStoreRq, cStoreRsp, responseFor } from '../../src/dimse/messages.ts';
import { CT_IMAGE_STORAGE, C_ECHO_RQ, C_STORE_RQ_MOVE_ORIGINATOR, SOP_INSTANCE, STUDY_ROOT_GET, STUDY_ROOT_MOVE, el, ui, us, withGroupLength } from './fixtures.ts';

function decode(bytes: Buffer): CommandSet {
  const r = C.decodeCommandSet(bytes);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(bytes.readUInt32LE(8), bytes.length - 12, 'group length');
  return r.value;
}
const tags = (cs: CommandSet) => cs.elements.map((e) => e.tag);

test('C-ECHO-RSP', () => {
  const b = cEchoRsp({ messageIdBeingRespondedTo: 1 });
  assert.deepEqual(b, withGroupLength(el(0x0002, ui('1.2.840.10008.1.1')), el(0x0100, us(0x8030)), el(0x0120, us(1)), el(0x0800, us(0x0101)), el(0x0900, us(0))));
  const parsed = new dimse.Dataset(b, '1.2.840.10008.1.2').getElements() as Record<string, unknown>;
  assert.equal(parsed['Status'], 0);
  assert.equal(parsed['MessageIDBeingRespondedTo'], 1);
});

test('C-STORE-RSP echoes SOP class/instance and the request id', () => {
  const cs = decode(cStoreRsp({ messageIdBeingRespondedTo: 9, affectedSopClassUid: CT_IMAGE_STORAGE, affectedSopInstanceUid: SOP_INSTANCE, status: 0xb000, errorComment: 'coerced' }));
  assert.deepEqual(tags(cs), [0x0000, 0x0002, 0x0100, 0x0120, 0x0800, 0x0900, 0x0902, 0x1000]);
  assert.equal(C.affectedSopInstanceUid(cs), SOP_INSTANCE);
  assert.equal(C.status(cs), 0xb000);
  assert.equal(C.errorComment(cs), 'coerced');
});

test('C-MOVE-RSP / C-GET-RSP: counts, Remaining only while pending/cancel, identifier flag', () => {
  const pending = decode(cMoveRsp({ messageIdBeingRespondedTo: 3, affectedSopClassUid: STUDY_ROOT_MOVE, status: 0xff00, remaining: 5, completed: 1, failed: 0, warning: 0 }));
  assert.equal(C.commandField(pending), 0x8021);
  assert.equal(C.numberOfRemainingSuboperations(pending), 5);
  assert.equal(C.hasDataSet(pending), false);
  const final = decode(cGetRsp({ messageIdBeingRespondedTo: 3, affectedSopClassUid: STUDY_ROOT_GET, status: 0xb000, remaining: 0, completed: 4, failed: 2, warning: 0, errorComment: 'x', withIdentifier: true }));
  assert.equal(C.commandField(final), 0x8010);
  assert.equal(C.numberOfRemainingSuboperations(final), undefined, 'PS3.4 C.4.3.1.6');
  assert.equal(C.numberOfFailedSuboperations(final), 2);
  assert.equal(C.dataSetType(final), 0x0001);
  const cancel = decode(cGetRsp({ messageIdBeingRespondedTo: 3, affectedSopClassUid: STUDY_ROOT_GET, status: 0xfe00, remaining: 3, completed: 1, failed: 0, warning: 0 }));
  assert.equal(C.numberOfRemainingSuboperations(cancel), 3);
});

test('C-MOVE-RQ from a C-GET-RQ: MOVE twin, new id, same priority, destination', () => {
  const getRq = decode(withGroupLength(el(0x0002, ui(STUDY_ROOT_GET)), el(0x0100, us(0x0010)), el(0x0110, us(12)), el(0x0700, us(2)), el(0x0800, us(0x0202))));
  const r = cMoveRqFromGet(getRq, { messageId: 500, moveDestination: 'GW_STORE' });
  assert.ok(r.ok);
  assert.equal(r.moveSopClassUid, STUDY_ROOT_MOVE);
  assert.deepEqual(r.bytes, withGroupLength(el(0x0002, ui(STUDY_ROOT_MOVE)), el(0x0100, us(0x0021)), el(0x0110, us(500)), el(0x0600, Buffer.from('GW_STORE')), el(0x0700, us(2)), el(0x0800, us(0x0001))));
  const noTwin = decode(withGroupLength(el(0x0002, ui('1.2.840.10008.5.1.4.1.2.5.3')), el(0x0100, us(0x0010)), el(0x0110, us(1)), el(0x0800, us(1))));
  assert.deepEqual(cMoveRqFromGet(noTwin, { messageId: 1, moveDestination: 'X' }), { ok: false, reason: '1.2.840.10008.5.1.4.1.2.5.3 has no C-MOVE counterpart' });
  assert.equal(cMoveRqFromGet(decode(C_ECHO_RQ), { messageId: 1, moveDestination: 'X' }).ok, false);
});

test('C-STORE-RQ sub-operation equals the golden bytes (with Move Originator) and omits it when not given', () => {
  const b = cStoreRq({ messageId: 9, affectedSopClassUid: CT_IMAGE_STORAGE, affectedSopInstanceUid: SOP_INSTANCE, priority: 0, moveOriginatorAeTitle: 'MOVESCU', moveOriginatorMessageId: 7 });
  assert.deepEqual(b, C_STORE_RQ_MOVE_ORIGINATOR);
  const plain = decode(cStoreRq({ messageId: 10, affectedSopClassUid: CT_IMAGE_STORAGE, affectedSopInstanceUid: SOP_INSTANCE }));
  assert.equal(C.moveOriginatorAeTitle(plain), undefined);
  assert.equal(C.priority(plain), 0);
  assert.equal(C.hasDataSet(plain), true);
});

test('C-CANCEL-RQ: {0100,0120,0800=0x0101}', () => {
  assert.deepEqual(cCancelRq({ messageIdBeingRespondedTo: 12 }), withGroupLength(el(0x0100, us(0x0fff)), el(0x0120, us(12)), el(0x0800, us(0x0101))));
});

test('responseFor: local refusal of a request', () => {
  const rsp = decode(responseFor(decode(C_STORE_RQ_MOVE_ORIGINATOR), 0x0124, 'not authorized')!);
  assert.equal(C.commandField(rsp), 0x8001);
  assert.equal(C.messageIdBeingRespondedTo(rsp), 9);
  assert.equal(C.affectedSopInstanceUid(rsp), SOP_INSTANCE);
  assert.equal(C.status(rsp), 0x0124);
  assert.equal(C.hasDataSet(rsp), false);
  assert.equal(responseFor(decode(cCancelRq({ messageIdBeingRespondedTo: 1 })), 0), null);
  assert.equal(responseFor(decode(cEchoRsp({ messageIdBeingRespondedTo: 1 })), 0), null);
});
