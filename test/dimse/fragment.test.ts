import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandToPData, dataToPData, maxFragmentLength } from '../../src/dimse/fragment.ts';
import { MessageAssembler } from '../../src/dimse/assembler.ts';
import type { Pdv } from '../../src/ul/types.ts';
import { C_ECHO_RQ, C_STORE_RQ_MOVE_ORIGINATOR } from './fixtures.ts';

/** Independent P-DATA-TF reader for the test (PS3.8 Tables 9-22/9-23): PDU -> its PDVs. */
function readPdu(pdu: Buffer): { pduLength: number; pdvs: Pdv[] } {
  assert.equal(pdu[0], 0x04);
  assert.equal(pdu[1], 0x00);
  const pduLength = pdu.readUInt32BE(2);
  assert.equal(pdu.length, 6 + pduLength);
  const pdvs: Pdv[] = [];
  let o = 6;
  while (o < pdu.length) {
    const itemLength = pdu.readUInt32BE(o);
    const mch = pdu[o + 5]!;
    assert.equal(mch & 0xfc, 0, 'reserved MCH bits are 0');
    pdvs.push({ presentationContextId: pdu[o + 4]!, isCommand: (mch & 1) === 1, isLast: (mch & 2) === 2, data: pdu.subarray(o + 6, o + 4 + itemLength) });
    o += 4 + itemLength;
  }
  assert.equal(o, pdu.length);
  return { pduLength, pdvs };
}

const store = C_STORE_RQ_MOVE_ORIGINATOR; // 12 + group length bytes
const dataSet = Buffer.from(Array.from({ length: 1001 }, (_, i) => i & 0xff)).subarray(0, 1000);

for (const max of [0, 8, 12, 13, 14, 31, 64, 65, 200, 16384, 16385]) {
  test(`command + data set at max PDU length ${max}: bounded, even, reassembles`, () => {
    const pdus = [...commandToPData(1, store, max), ...dataToPData(1, dataSet, max)];
    const a = new MessageAssembler();
    const events = [];
    let dataBytes = 0;
    for (const pdu of pdus) {
      const { pduLength, pdvs } = readPdu(pdu);
      assert.equal(pdvs.length, 1, 'one PDV per PDU');
      if (max > 0) assert.ok(pduLength <= max, `PDU length ${pduLength} <= ${max}`);
      const pdv = pdvs[0]!;
      assert.equal(pdv.data.length % 2, 0, 'even fragment');
      assert.equal(pdv.presentationContextId, 1);
      if (!pdv.isCommand) dataBytes += pdv.data.length;
      const e = a.feed(pdv);
      if (e) events.push(e);
    }
    assert.equal(events.length, 2);
    const [cmd, end] = events;
    assert.ok(cmd && cmd.kind === 'command');
    assert.deepEqual(cmd.bytes, store);
    assert.deepEqual(end, { kind: 'data-end', pcId: 1 });
    assert.equal(dataBytes, dataSet.length);
    if (max === 0) assert.equal(pdus.length, 2, 'unlimited: one PDU per stream');
    if (max === 13) assert.equal(readPdu(pdus[0]!).pdvs[0]!.data.length, 6, 'odd max rounds the fragment down to even');
  });
}

test('a fragment exactly filling max uses PDU length == max (DCMTK accepts ==max)', () => {
  const pdus = commandToPData(3, C_ECHO_RQ, C_ECHO_RQ.length + 6);
  assert.equal(pdus.length, 1);
  assert.equal(readPdu(pdus[0]!).pduLength, C_ECHO_RQ.length + 6);
  // golden header bytes: 04 00 | len | item len | PC 3 | MCH 0x03
  assert.deepEqual(pdus[0]!.subarray(0, 12), Buffer.from([0x04, 0x00, 0, 0, 0, 74, 0, 0, 0, 70, 3, 0x03]));
});

test('last flag only on the final fragment; empty data set still ends', () => {
  const pdus = commandToPData(5, C_ECHO_RQ, 12);
  const flags = pdus.map((p) => p[11]);
  assert.deepEqual(flags, [...Array(pdus.length - 1).fill(0x01), 0x03]);
  const empty = dataToPData(5, Buffer.alloc(0), 12);
  assert.equal(empty.length, 1);
  assert.deepEqual(empty[0], Buffer.from([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 2, 5, 0x02]));
});

test('bad arguments throw RangeError', () => {
  assert.throws(() => commandToPData(1, C_ECHO_RQ, 7), RangeError);
  assert.throws(() => commandToPData(1, C_ECHO_RQ, -1), RangeError);
  assert.throws(() => commandToPData(0, C_ECHO_RQ, 0), RangeError);
  assert.throws(() => commandToPData(256, C_ECHO_RQ, 0), RangeError);
  assert.equal(maxFragmentLength(0), Infinity);
  assert.equal(maxFragmentLength(16384), 16378);
  assert.equal(maxFragmentLength(16385), 16378);
});
