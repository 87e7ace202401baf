import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, failedSopInstanceUidList, validateIdentifier } from '../../src/dimse/identifier.ts';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** Implicit VR LE element (group, element, value), built by hand. */
function ie(group: number, element: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}
/** Explicit VR LE short-form element. */
function ee(group: number, element: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

const studyMoveImplicit = Buffer.concat([ie(0x0008, 0x0052, Buffer.from('STUDY ')), ie(0x0020, 0x000d, Buffer.from('1.2.3.4\0'))]);
const studyMoveExplicit = Buffer.concat([ee(0x0008, 0x0052, 'CS', Buffer.from('STUDY ')), ee(0x0020, 0x000d, 'UI', Buffer.from('1.2.3.4\0'))]);

test('valid identifiers in implicit and explicit VR LE (and explicit for a compressed TS)', () => {
  for (const [bytes, ts] of [[studyMoveImplicit, IMPLICIT], [studyMoveExplicit, EXPLICIT], [studyMoveExplicit, JPEG_BASELINE]] as const) {
    const r = validateIdentifier(bytes, ts);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.queryRetrieveLevel, 'STUDY');
    assert.equal(r.elementCount, 2);
    assert.equal(r.dataset['StudyInstanceUID'], '1.2.3.4');
  }
  const empty = validateIdentifier(Buffer.alloc(0), IMPLICIT);
  assert.ok(empty.ok && empty.elementCount === 0);
});

test('sequences: undefined-length SQ with undefined-length item (implicit) parse', () => {
  const item = ie(0x0008, 0x1150, Buffer.from('1.2\0'));
  const sq = Buffer.concat([
    Buffer.from([0x08, 0x00, 0x15, 0x11, 0xff, 0xff, 0xff, 0xff]), // (0008,1115) undefined length
    Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]), // item, undefined length
    item,
    Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]), // item delimitation
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]), // sequence delimitation
  ]);
  const r = validateIdentifier(Buffer.concat([ie(0x0008, 0x0052, Buffer.from('STUDY ')), sq]), IMPLICIT);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const noDelim = validateIdentifier(Buffer.concat([ie(0x0008, 0x0052, Buffer.from('STUDY ')), sq.subarray(0, sq.length - 8)]), IMPLICIT);
  assert.equal(noDelim.ok, false);
});

test('garbage is {ok:false}, never a throw', () => {
  const garbage: Buffer[] = [
    Buffer.from([1, 2, 3]),
    Buffer.from('hello world, not dicom at all!!'),
    Buffer.from([0x08, 0x00, 0x52, 0x00, 0xff, 0x00, 0x00, 0x00, 0x53]), // length past the end
    Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00]), // a command element
    Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0x00, 0x00, 0x00, 0x00]), // bare item
  ];
  for (let i = 0; i < 200; i++) garbage.push(randomBytes(1 + (i % 64)));
  for (const ts of [IMPLICIT, EXPLICIT, EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE]) {
    for (const g of garbage.slice(0, 5)) assert.equal(validateIdentifier(g, ts).ok, false, `${ts} ${g.toString('hex')}`);
    for (const g of garbage) assert.doesNotThrow(() => validateIdentifier(g, ts));
  }
  assert.equal(validateIdentifier(ee(0x0008, 0x0052, 'ZZ', Buffer.from('AB')), EXPLICIT).ok, false, 'unknown VR');
  assert.equal(validateIdentifier(ie(0x0008, 0x0052, Buffer.from('STUDY')), IMPLICIT).ok, false, 'odd length');
  assert.equal(validateIdentifier(studyMoveExplicit, IMPLICIT).ok, false, 'explicit bytes read as implicit');
});

test('Failed SOP Instance UID List in every supported syntax round-trips through validateIdentifier', () => {
  const uids = ['1.2.3', '1.2.840.113619.2.55.3.1'];
  for (const ts of [IMPLICIT, EXPLICIT, EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE, JPEG_BASELINE]) {
    const b = failedSopInstanceUidList(uids, ts);
    if (ts !== DEFLATED_EXPLICIT_VR_LE) assert.equal(b.length % 2, 0, 'even');
    const r = validateIdentifier(b, ts);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(r.dataset['FailedSOPInstanceUIDList'], uids);
  }
  // golden implicit: (0008,0058) length 30 '1.2.3\1.2.840.113619.2.55.3.1' + NUL
  const implicit = failedSopInstanceUidList(uids, IMPLICIT);
  assert.deepEqual(implicit, ie(0x0008, 0x0058, Buffer.from('1.2.3\\1.2.840.113619.2.55.3.1\0', 'latin1')));
  assert.deepEqual(failedSopInstanceUidList([], IMPLICIT), ie(0x0008, 0x0058, Buffer.alloc(0)));
  assert.throws(() => failedSopInstanceUidList(['not a uid'], IMPLICIT), RangeError);
});
