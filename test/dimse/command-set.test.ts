import { test } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  affectedSopInstanceUid,
  commandElementName,
  commandElementVr,
  commandField,
  commandName,
  commandSetOf,
  dataSetType,
  decodeCommandSet,
  describeCommand,
  encodeCommandSet,
  errorComment,
  getUint16,
  hasDataSet,
  isResponse,
  messageId,
  messageIdBeingRespondedTo,
  moveDestination,
  moveOriginatorAeTitle,
  moveOriginatorMessageId,
  numberOfCompletedSuboperations,
  numberOfFailedSuboperations,
  numberOfRemainingSuboperations,
  numberOfWarningSuboperations,
  priority,
  serviceName,
  status,
  withString,
  withUint16,
  without,
} from '../../src/dimse/command-set.ts';
import type { CommandSet } from '../../src/dimse/command-set.ts';
import {
  CT_IMAGE_STORAGE,
  C_ECHO_RQ,
  C_ECHO_RQ_RETIRED,
  C_FIND_RSP,
  C_MOVE_RQ,
  C_STORE_RQ_MOVE_ORIGINATOR,
  SOP_INSTANCE,
  STUDY_ROOT_MOVE,
  el,
  str,
  ui,
  ul,
  us,
  withGroupLength,
} from './fixtures.ts';

function decode(bytes: Buffer): CommandSet {
  const r = decodeCommandSet(bytes);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

test('C-ECHO-RQ golden: group length 56, fields, byte-exact round trip', () => {
  assert.equal(C_ECHO_RQ.length, 12 + 56);
  const cs = decode(C_ECHO_RQ);
  assert.equal(getUint16(cs, TAG.CommandGroupLength), 56); // UL read as its low 16 bits here
  assert.equal(commandField(cs), COMMAND_FIELD['C-ECHO-RQ']);
  assert.equal(messageId(cs), 1);
  assert.equal(affectedSopClassUid(cs), '1.2.840.10008.1.1');
  assert.equal(dataSetType(cs), 0x0101);
  assert.equal(hasDataSet(cs), false);
  assert.deepEqual(encodeCommandSet(cs), C_ECHO_RQ);
  assert.equal(describeCommand(cs), 'C-ECHO-RQ id=1 ds=no');
});

test('C-STORE-RQ with Move Originator: accessors and round trip', () => {
  const cs = decode(C_STORE_RQ_MOVE_ORIGINATOR);
  assert.equal(commandName(commandField(cs)!), 'C-STORE-RQ');
  assert.equal(messageId(cs), 9);
  assert.equal(priority(cs), 0);
  assert.equal(affectedSopClassUid(cs), CT_IMAGE_STORAGE);
  assert.equal(affectedSopInstanceUid(cs), SOP_INSTANCE);
  assert.equal(moveOriginatorAeTitle(cs), 'MOVESCU');
  assert.equal(moveOriginatorMessageId(cs), 7);
  assert.equal(hasDataSet(cs), true);
  assert.deepEqual(encodeCommandSet(cs), C_STORE_RQ_MOVE_ORIGINATOR);
});

test('C-MOVE-RQ: destination trimmed, 0x0202 means a data set follows', () => {
  const cs = decode(C_MOVE_RQ);
  assert.equal(commandField(cs), 0x0021);
  assert.equal(moveDestination(cs), 'A');
  assert.equal(priority(cs), 1);
  assert.equal(affectedSopClassUid(cs), STUDY_ROOT_MOVE);
  assert.equal(hasDataSet(cs), true);
  assert.deepEqual(encodeCommandSet(cs), C_MOVE_RQ);
});

test('C-FIND-RSP pending: status, responded-to id, 0x0102 data set', () => {
  const cs = decode(C_FIND_RSP);
  assert.equal(commandName(commandField(cs)!), 'C-FIND-RSP');
  assert.equal(status(cs), 0xff00);
  assert.equal(messageIdBeingRespondedTo(cs), 5);
  assert.equal(messageId(cs), undefined);
  assert.equal(hasDataSet(cs), true);
  assert.deepEqual(encodeCommandSet(cs), C_FIND_RSP);
});

test('unknown retired (0000,0010) survives a round trip byte-exact and after a rewrite', () => {
  const cs = decode(C_ECHO_RQ_RETIRED);
  assert.equal(commandElementName(0x0010), 'RETIRED_CommandRecognitionCode');
  assert.equal(commandElementVr(0x0010), 'SH');
  assert.deepEqual(encodeCommandSet(cs), C_ECHO_RQ_RETIRED);
  const changed = encodeCommandSet(withUint16(cs, TAG.MessageID, 0x1234));
  assert.ok(changed.includes(Buffer.from('ACR-NEMA 2.0')));
  assert.equal(messageId(decode(changed)), 0x1234);
  assert.equal(changed.length, C_ECHO_RQ_RETIRED.length);
});

test('element with a tag no dictionary knows is kept too', () => {
  const bytes = withGroupLength(el(0x0100, us(0x30)), el(0x0800, us(0x0101)), el(0x7777, Buffer.from([1, 2, 3, 4])));
  assert.deepEqual(encodeCommandSet(decode(bytes)), bytes);
  assert.equal(commandElementVr(0x7777), 'UN');
});

test('C-MOVE-RSP counts; duplicated and multi-valued counts: first value wins (pynetdicom#554)', () => {
  const bytes = withGroupLength(
    el(0x0002, ui(STUDY_ROOT_MOVE)),
    el(0x0100, us(0x8021)),
    el(0x0120, us(3)),
    el(0x0800, us(0x0101)),
    el(0x0900, us(0xb000)),
    el(0x0902, str('some failed')),
    el(0x1020, Buffer.concat([us(4), us(9)])), // VM 2
    el(0x1021, us(10)),
    el(0x1021, us(99)), // duplicate
    el(0x1022, us(2)),
    el(0x1023, us(1)),
  );
  const cs = decode(bytes);
  assert.equal(numberOfRemainingSuboperations(cs), 4);
  assert.equal(numberOfCompletedSuboperations(cs), 10);
  assert.equal(numberOfFailedSuboperations(cs), 2);
  assert.equal(numberOfWarningSuboperations(cs), 1);
  assert.equal(errorComment(cs), 'some failed');
  assert.deepEqual(encodeCommandSet(cs), bytes, 'lenient input is forwarded as is');
  // Setting a duplicated element keeps one copy, so first-wins and last-wins readers agree.
  const fixed = decode(encodeCommandSet(withUint16(cs, TAG.NumberOfCompletedSuboperations, 11)));
  assert.equal(fixed.elements.filter((e) => e.tag === 0x1021).length, 1);
  assert.equal(numberOfCompletedSuboperations(fixed), 11);
});

test('UID and AE values are trimmed of trailing NUL and space', () => {
  const bytes = withGroupLength(
    el(0x0002, Buffer.from('1.2.3 \0\0', 'latin1')),
    el(0x0100, us(0x0021)),
    el(0x0600, Buffer.from(' DEST\0  ', 'latin1')),
    el(0x0800, us(0x0001)),
  );
  const cs = decode(bytes);
  assert.equal(affectedSopClassUid(cs), '1.2.3');
  assert.equal(moveDestination(cs), 'DEST');
});

test('encode sorts by tag, pads odd values by VR and recomputes a wrong group length', () => {
  const unsorted = Buffer.concat([
    el(0x0000, ul(999)), // wrong
    el(0x0800, us(0x0101)),
    el(0x0100, us(0x0030)),
    el(0x0002, Buffer.from('1.2.840.10008.1.1', 'latin1')), // odd, unpadded UI
    el(0x0902, Buffer.from('abc', 'latin1')), // odd LO
  ]);
  const out = encodeCommandSet(decode(unsorted));
  const expected = withGroupLength(
    el(0x0002, Buffer.from('1.2.840.10008.1.1\0', 'latin1')),
    el(0x0100, us(0x0030)),
    el(0x0800, us(0x0101)),
    el(0x0902, Buffer.from('abc ', 'latin1')),
  );
  assert.deepEqual(out, expected);
  // A set without (0000,0000) gets one.
  const noGl = Buffer.concat([el(0x0100, us(0x0030)), el(0x0800, us(0x0101))]);
  assert.deepEqual(encodeCommandSet(decode(noGl)), withGroupLength(el(0x0100, us(0x0030)), el(0x0800, us(0x0101))));
});

test('setters return new sets and leave the input alone', () => {
  const cs = decode(C_MOVE_RQ);
  const a = withString(cs, TAG.MoveDestination, 'GATEWAY');
  assert.equal(moveDestination(cs), 'A');
  assert.equal(moveDestination(a), 'GATEWAY');
  assert.deepEqual(a.elements.find((e) => e.tag === TAG.MoveDestination)!.value, Buffer.from('GATEWAY '));
  const b = without(a, TAG.MoveDestination);
  assert.equal(moveDestination(b), undefined);
  const c = withString(b, TAG.AffectedSOPInstanceUID, '1.2.3');
  assert.deepEqual(c.elements.at(-1)!.value, Buffer.from('1.2.3\0', 'latin1'));
  assert.throws(() => withString(cs, TAG.MoveDestination, 'X'.repeat(17)), RangeError);
  assert.throws(() => withUint16(cs, TAG.MessageID, 0x10000), RangeError);
  assert.deepEqual(
    encodeCommandSet(commandSetOf([[TAG.AffectedSOPClassUID, '1.2.840.10008.1.1'], [TAG.CommandField, 0x30], [TAG.MessageID, 1], [TAG.CommandDataSetType, 0x0101]])),
    C_ECHO_RQ,
  );
});

test('decode errors are values', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['short header', Buffer.concat([C_ECHO_RQ, Buffer.from([0, 0, 0])]), /trailing bytes/],
    ['length past the end', Buffer.concat([el(0x0100, us(0x30)), Buffer.from([0, 0, 0, 8, 9, 0, 0, 0, 1])]), /exceeds/],
    ['undefined length', Buffer.concat([el(0x0100, us(0x30)), Buffer.from([0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff])]), /undefined length/],
    ['group 0008', Buffer.concat([el(0x0100, us(0x30)), Buffer.from([8, 0, 0x16, 0, 2, 0, 0, 0, 0x31, 0])]), /outside group 0000/],
    ['no command field', withGroupLength(el(0x0800, us(0x0101))), /Command Field/],
    ['no data set type', withGroupLength(el(0x0100, us(0x0030))), /Data Set Type/],
    ['empty', Buffer.alloc(0), /Command Field/],
  ];
  for (const [name, bytes, re] of cases) {
    const r = decodeCommandSet(bytes);
    assert.equal(r.ok, false, name);
    if (!r.ok) {
      assert.equal(r.error.kind, 'invalid-pdu-parameter-value', name);
      assert.match(r.error.message, re, name);
    }
  }
});

test('command and service names', () => {
  assert.equal(commandName(0x8021), 'C-MOVE-RSP');
  assert.equal(commandName(0x0fff), 'C-CANCEL-RQ');
  assert.equal(commandName(0x0130), 'N-ACTION-RQ');
  assert.equal(commandName(0x1234), 'UNKNOWN-0x1234');
  assert.equal(serviceName(0x0001), 'C-STORE');
  assert.equal(serviceName(0x8001), 'C-STORE');
  assert.equal(serviceName(0x0fff), 'C-CANCEL');
  assert.equal(serviceName(0x8150), 'N-DELETE');
  assert.equal(isResponse(0x8030), true);
  assert.equal(isResponse(0x0fff), false);
});

test('interop: dcmjs-dimse reads our encoding and we read dcmjs-dimse\'s', () => {
  const ours = encodeCommandSet(withString(decode(C_MOVE_RQ), TAG.MoveDestination, 'GATEWAY'));
  const parsed = new dimse.Dataset(ours, '1.2.840.10008.1.2').getElements() as Record<string, unknown>;
  assert.equal(parsed['CommandGroupLength'], ours.length - 12);
  assert.equal(parsed['CommandField'], 0x0021);
  assert.equal(parsed['MessageID'], 3);
  assert.equal(parsed['MoveDestination'], 'GATEWAY');
  assert.equal(parsed['AffectedSOPClassUID'], STUDY_ROOT_MOVE);
  assert.equal(parsed['CommandDataSetType'], 0x0202);

  const theirs = Buffer.from(
    new dimse.Dataset({
      AffectedSOPClassUID: CT_IMAGE_STORAGE,
      CommandField: 0x0001,
      MessageID: 9,
      Priority: 0,
      CommandDataSetType: 0x0001,
      AffectedSOPInstanceUID: SOP_INSTANCE,
      MoveOriginatorApplicationEntityTitle: 'MOVESCU',
      MoveOriginatorMessageID: 7,
    }).getDenaturalizedCommandDataset(),
  );
  assert.deepEqual(theirs, C_STORE_RQ_MOVE_ORIGINATOR, 'dcmjs-dimse encodes our golden bytes');
  const cs = decode(theirs);
  assert.equal(moveOriginatorAeTitle(cs), 'MOVESCU');
  assert.deepEqual(encodeCommandSet(cs), theirs);
});
