import { test } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import { decodeCommandSet, moveDestination, messageId, messageIdBeingRespondedTo, moveOriginatorAeTitle, moveOriginatorMessageId } from '../../src/dimse/command-set.ts';
import type { CommandSet } from '../../src/dimse/command-set.ts';
import { rewriteMessageId, rewriteMessageIdBeingRespondedTo, rewriteMoveDestination, rewriteMoveOriginator, stripMoveOriginator } from '../../src/dimse/rewrite.ts';
import { C_ECHO_RQ_RETIRED, C_FIND_RSP, C_MOVE_RQ, C_STORE_RQ_MOVE_ORIGINATOR, STUDY_ROOT_MOVE, el, str, ui, us, withGroupLength } from './fixtures.ts';

function decode(bytes: Buffer): CommandSet {
  const r = decodeCommandSet(bytes);
  assert.ok(r.ok);
  return r.value;
}

function moveRq(dest: Buffer): Buffer {
  return withGroupLength(el(0x0002, ui(STUDY_ROOT_MOVE)), el(0x0100, us(0x0021)), el(0x0110, us(3)), el(0x0600, dest), el(0x0700, us(0x0001)), el(0x0800, us(0x0202)));
}

test("Move Destination 'A' -> 'GATEWAY': element length 2 -> 8, group length +6, bytes as built by hand", () => {
  const out = rewriteMoveDestination(C_MOVE_RQ, 'GATEWAY');
  assert.deepEqual(out, moveRq(Buffer.from('GATEWAY ')));
  assert.equal(C_MOVE_RQ.readUInt32LE(8) + 6, out.readUInt32LE(8));
  assert.equal(out.length, C_MOVE_RQ.length + 6);
  // the (0000,0600) element header itself
  const at = out.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x06]));
  assert.equal(out.readUInt32LE(at + 4), 8);
  assert.equal(moveDestination(decode(out)), 'GATEWAY');
});

test('Move Destination to a 16-char title: length 16, no pad, group length fixed; dcmjs-dimse agrees', () => {
  const out = rewriteMoveDestination(C_MOVE_RQ, 'ABCDEFGHIJKLMNOP');
  assert.deepEqual(out, moveRq(Buffer.from('ABCDEFGHIJKLMNOP')));
  assert.equal(out.readUInt32LE(8), out.length - 12);
  const parsed = new dimse.Dataset(out, '1.2.840.10008.1.2').getElements() as Record<string, unknown>;
  assert.equal(parsed['MoveDestination'], 'ABCDEFGHIJKLMNOP');
  assert.equal(parsed['CommandGroupLength'], out.length - 12);
  assert.throws(() => rewriteMoveDestination(C_MOVE_RQ, 'ABCDEFGHIJKLMNOPQ'), RangeError);
});

test('no-op rewrites return the original buffer object', () => {
  assert.equal(rewriteMoveDestination(C_MOVE_RQ, 'A'), C_MOVE_RQ);
  assert.equal(rewriteMessageId(C_MOVE_RQ, 3), C_MOVE_RQ);
  assert.equal(rewriteMessageIdBeingRespondedTo(C_FIND_RSP, 5), C_FIND_RSP);
  assert.equal(stripMoveOriginator(C_MOVE_RQ), C_MOVE_RQ);
  assert.equal(rewriteMoveOriginator(C_STORE_RQ_MOVE_ORIGINATOR, { aeTitle: 'MOVESCU', messageId: 7 }), C_STORE_RQ_MOVE_ORIGINATOR);
  // sloppy padding that already reads as the wanted value is left alone too
  const sloppy = moveRq(Buffer.from('A\0'));
  assert.equal(rewriteMoveDestination(sloppy, 'A'), sloppy);
});

test('message id rewrites keep everything else, including a retired element', () => {
  const out = rewriteMessageId(C_ECHO_RQ_RETIRED, 0xbeef);
  assert.equal(messageId(decode(out)), 0xbeef);
  assert.equal(out.length, C_ECHO_RQ_RETIRED.length);
  assert.deepEqual(rewriteMessageId(out, 2), C_ECHO_RQ_RETIRED);
  const rsp = rewriteMessageIdBeingRespondedTo(C_FIND_RSP, 77);
  assert.equal(messageIdBeingRespondedTo(decode(rsp)), 77);
  // an id that was absent gets added in tag order
  const added = rewriteMessageId(C_FIND_RSP, 1);
  assert.equal(messageId(decode(added)), 1);
  assert.equal(added.readUInt32LE(8), added.length - 12);
});

test('stripMoveOriginator drops both fields and shrinks the group length by 2 elements', () => {
  const out = stripMoveOriginator(C_STORE_RQ_MOVE_ORIGINATOR);
  const cs = decode(out);
  assert.equal(moveOriginatorAeTitle(cs), undefined);
  assert.equal(moveOriginatorMessageId(cs), undefined);
  assert.equal(out.length, C_STORE_RQ_MOVE_ORIGINATOR.length - (8 + 8) - (8 + 2));
  assert.equal(out.readUInt32LE(8), out.length - 12);
});

test('rewriteMoveOriginator restores the client values', () => {
  const out = rewriteMoveOriginator(C_STORE_RQ_MOVE_ORIGINATOR, { aeTitle: 'CLIENT', messageId: 42 });
  const cs = decode(out);
  assert.equal(moveOriginatorAeTitle(cs), 'CLIENT');
  assert.equal(moveOriginatorMessageId(cs), 42);
  assert.ok(out.includes(el(0x1030, str('CLIENT'))));
});

test('invalid input throws TypeError (caller bug: the assembler validated it)', () => {
  assert.throws(() => rewriteMessageId(Buffer.from([1, 2, 3]), 1), TypeError);
});
