// Byte-level helpers shared by the PDU and item codecs: the PDU header, item headers (PS3.8 9.3.1,
// 9.3.2), fixed-layout field tables, UID strings, and the internal failure that the public decoders
// turn into DecodeResult values.
import type { DecodeErrorKind, DecodeResult, PduTypeName } from './types.ts';
import { PDU_TYPE } from './types.ts';
import { itemTypeName } from './codes.ts';

export const PDU_HEADER_LENGTH = 6;
export const ITEM_HEADER_LENGTH = 4;

/** Thrown inside the codec only. The item loops read straight through instead of threading a result
 *  through every step; decodeSafely() at each public decoder turns it into { ok: false }. */
export class PduDecodeFailure extends Error {
  readonly kind: DecodeErrorKind;
  constructor(kind: DecodeErrorKind, message: string) {
    super(message);
    this.name = 'PduDecodeFailure';
    this.kind = kind;
  }
}

export function fail(kind: DecodeErrorKind, message: string): never {
  throw new PduDecodeFailure(kind, message);
}

export function invalid(message: string): never {
  throw new PduDecodeFailure('invalid-pdu-parameter-value', message);
}

/** Runs a throwing decoder and returns its result as a value; decoders never throw to callers. */
export function decodeSafely<T>(decode: () => T): DecodeResult<T> {
  try {
    return { ok: true, value: decode() };
  } catch (e) {
    if (e instanceof PduDecodeFailure) return { ok: false, error: { kind: e.kind, message: e.message } };
    // A codec bug must not escape into a socket 'data' handler (STYLE rule 6); the association is
    // aborted as for bad input and the text reaches the log.
    return { ok: false, error: { kind: 'invalid-pdu-parameter-value', message: `decoder error: ${String(e)}` } };
  }
}

/** Checks the 6-byte PDU header of a whole PDU: type byte and PDU-length == bytes after the header. */
export function checkPduHeader(raw: Buffer, name: PduTypeName): void {
  if (raw.length < PDU_HEADER_LENGTH) invalid(`${name}: ${raw.length} bytes, shorter than the 6-byte PDU header`);
  if (raw[0] !== PDU_TYPE[name]) invalid(`${name}: PDU type byte is 0x${raw[0]!.toString(16)}`);
  const length = raw.readUInt32BE(2);
  const present = raw.length - PDU_HEADER_LENGTH;
  if (length > present) invalid(`${name}: PDU length ${length} but only ${present} bytes follow the header (truncated)`);
  if (length < present) invalid(`${name}: PDU length ${length} but ${present} bytes follow the header`);
}

export function encodePduHeader(type: number, pduLength: number): Buffer {
  const header = Buffer.alloc(PDU_HEADER_LENGTH);
  header[0] = type;
  header.writeUInt32BE(pduLength, 2);
  return header;
}

/** A field of a fixed PDU layout: absolute byte offset in the PDU, width, value name (STYLE rule 3). */
export interface FixedField<K extends string> {
  offset: number;
  width: 1 | 2 | 4;
  key: K;
}

export function readFixed<K extends string>(raw: Buffer, fields: readonly FixedField<K>[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const f of fields) out[f.key] = raw.readUIntBE(f.offset, f.width);
  return out;
}

export function writeFixed<K extends string>(buf: Buffer, fields: readonly FixedField<K>[], values: Record<K, number>): void {
  for (const f of fields) buf.writeUIntBE(values[f.key], f.offset, f.width);
}

/** An item or sub-item located in a PDU; offsets are absolute in the PDU buffer (header included). */
export interface RawItem {
  type: number;
  offset: number;
  bodyStart: number;
  bodyEnd: number;
}

/** Cuts [start, end) of `raw` into items (PS3.8 9.3.2: type, reserved, uint16 length, body).
 *  `where` prefixes messages (the PDU name), `parent` names the enclosing structure. */
export function readItems(raw: Buffer, start: number, end: number, where: string, parent: string): RawItem[] {
  const items: RawItem[] = [];
  let offset = start;
  while (offset < end) {
    if (end - offset < ITEM_HEADER_LENGTH) {
      invalid(`${where}: item header at offset ${offset}: only ${end - offset} byte(s) left before end of ${parent} (${end})`);
    }
    const type = raw[offset]!;
    const length = raw.readUInt16BE(offset + 2);
    const bodyEnd = offset + ITEM_HEADER_LENGTH + length;
    if (bodyEnd > end) invalid(`${where}: ${itemTypeName(type)} at offset ${offset}: length ${length} runs past end of ${parent} (${end})`);
    items.push({ type, offset, bodyStart: offset + ITEM_HEADER_LENGTH, bodyEnd });
    offset = bodyEnd;
  }
  return items;
}

export function itemLength(item: RawItem): number {
  return item.bodyEnd - item.bodyStart;
}

/** Where an item sits, for messages: 'presentation context item at offset 120'. */
export function itemAt(item: RawItem): string {
  return `${itemTypeName(item.type)} at offset ${item.offset}`;
}

/** Writes an item: type, reserved 0, uint16 length, body. Throws RangeError (a programming error on
 *  our side, not bad input) when the body does not fit the 16-bit length. */
export function encodeItem(type: number, ...body: Buffer[]): Buffer {
  const length = body.reduce((n, b) => n + b.length, 0);
  if (length > 0xffff) throw new RangeError(`${itemTypeName(type)}: body of ${length} bytes exceeds 65535`);
  const header = Buffer.alloc(ITEM_HEADER_LENGTH);
  header[0] = type;
  header.writeUInt16BE(length, 2);
  return Buffer.concat([header, ...body]);
}

/** A UID from a negotiation item. PS3.5 9.1: not padded in network negotiation, but some senders add
 *  a 0x00 anyway (dicom-facts 1.4), so trailing NULs are stripped. */
export function readUid(raw: Buffer, start: number, end: number): string {
  let e = end;
  while (e > start && raw[e - 1] === 0) e--;
  return raw.toString('latin1', start, e);
}

/** Text from ISO 646 fields, written as is (UIDs never get a pad byte here). */
export function textBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** For the PDUs whose PDU-length is fixed by the standard (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT: 4). */
export function checkFixedPduLength(raw: Buffer, name: PduTypeName, length: number): void {
  checkPduHeader(raw, name);
  const got = raw.length - PDU_HEADER_LENGTH;
  if (got !== length) invalid(`${name}: PDU length ${got}, must be ${length}`);
}
