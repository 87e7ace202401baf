// Golden command sets for test/dimse, built by hand from PS3.7 Annex E (Implicit VR LE:
// tag group uint16 LE, element uint16 LE, length uint32 LE, value). Each fixture says what it is.

/** One Implicit VR LE group-0000 element. */
export function el(element: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0x0000, 0);
  h.writeUInt16LE(element, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}
export const us = (v: number): Buffer => Buffer.from([v & 0xff, v >> 8]);
export const ul = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
};
/** UI padded with NUL, other strings with space, to even length (PS3.5 6.2). */
export const ui = (s: string): Buffer => Buffer.from(s.length % 2 ? s + '\0' : s, 'latin1');
export const str = (s: string): Buffer => Buffer.from(s.length % 2 ? s + ' ' : s, 'latin1');

/** Prefix the elements with (0000,0000) Command Group Length. */
export function withGroupLength(...elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  return Buffer.concat([el(0x0000, ul(body.length)), body]);
}

/** C-ECHO-RQ, Message ID 1, no data set: group length 56 (dicom-facts 2.1 probe). Byte by byte. */
export const C_ECHO_RQ = Buffer.from([
  0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, // (0000,0000) UL 4: 56
  0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, // (0000,0002) UI 18:
  ...Buffer.from('1.2.840.10008.1.1\0', 'latin1'), //   Verification SOP Class + NUL pad
  0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00, // (0000,0100) US 2: 0x0030 C-ECHO-RQ
  0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, // (0000,0110) US 2: Message ID 1
  0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, // (0000,0800) US 2: 0x0101 no data set
]);

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
export const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
export const SOP_INSTANCE = '1.2.826.0.1.3680043.8.498.12345';

/** C-STORE-RQ sub-operation of a C-MOVE: id 9, MEDIUM, data set 0x0001, Move Originator 'MOVESCU'/7. */
export const C_STORE_RQ_MOVE_ORIGINATOR = withGroupLength(
  el(0x0002, ui(CT_IMAGE_STORAGE)),
  el(0x0100, us(0x0001)),
  el(0x0110, us(9)),
  el(0x0700, us(0x0000)),
  el(0x0800, us(0x0001)),
  el(0x1000, ui(SOP_INSTANCE)),
  el(0x1030, str('MOVESCU')),
  el(0x1031, us(7)),
);

/** C-MOVE-RQ: id 3, HIGH, Move Destination 'A' (padded 'A '), identifier follows (0x0202 as dcmjs-dimse). */
export const C_MOVE_RQ = withGroupLength(
  el(0x0002, ui(STUDY_ROOT_MOVE)),
  el(0x0100, us(0x0021)),
  el(0x0110, us(3)),
  el(0x0600, str('A')),
  el(0x0700, us(0x0001)),
  el(0x0800, us(0x0202)),
);

/** C-FIND-RSP pending 0xFF00 to id 5, identifier follows (0x0102, the ACR-NEMA-compatible value). */
export const C_FIND_RSP = withGroupLength(
  el(0x0002, ui(STUDY_ROOT_FIND)),
  el(0x0100, us(0x8020)),
  el(0x0120, us(5)),
  el(0x0800, us(0x0102)),
  el(0x0900, us(0xff00)),
);

/** C-ECHO-RQ from an old peer with retired (0000,0010) Recognition Code 'ACR-NEMA 2.0' (SH). */
export const C_ECHO_RQ_RETIRED = withGroupLength(
  el(0x0002, ui('1.2.840.10008.1.1')),
  el(0x0010, str('ACR-NEMA 2.0')),
  el(0x0100, us(0x0030)),
  el(0x0110, us(2)),
  el(0x0800, us(0x0101)),
);
