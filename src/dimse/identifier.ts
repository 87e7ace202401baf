// Identifier data sets (C-FIND / C-MOVE / C-GET, PS3.4 C.4) and the Failed SOP Instance UID List
// (0008,0058) the gateway puts in a final C-GET/C-MOVE-RSP (PS3.4 C.4.2.1.4, dicom-facts 2.4, 2.8 step 6).
//
// Unlike command sets these use the presentation context's transfer syntax, and the gateway only
// reads them (never forwards re-encoded bytes), so dcmjs' parser and writer do the element work.
// One thing dcmjs does not do is reject garbage: it reads "hello world" as a UN element with a
// truncated value and logs a warning. So a strict framing walk (below, PS3.5 7.1-7.5) runs first and
// decides validity; dcmjs then turns the checked bytes into a dict.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE } from './sop-classes.ts';

const { DicomMessage, ReadBufferStream, WriteBufferStream, DicomMetaDictionary } = dcmjs.data;

export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2'; // retired, still negotiated by a few old peers
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';

interface Syntax {
  implicit: boolean;
  littleEndian: boolean;
  deflated: boolean;
  dcmjsSyntax: string;
}

/** PS3.5 Annex A: every transfer syntax other than Implicit VR LE, Explicit VR BE and Deflated encodes
 *  the data set (outside encapsulated pixel data) as Explicit VR Little Endian. */
function syntaxOf(transferSyntaxUid: string): Syntax {
  if (transferSyntaxUid === IMPLICIT_VR_LE) return { implicit: true, littleEndian: true, deflated: false, dcmjsSyntax: IMPLICIT_VR_LE };
  if (transferSyntaxUid === EXPLICIT_VR_BE) return { implicit: false, littleEndian: false, deflated: false, dcmjsSyntax: EXPLICIT_VR_BE };
  return { implicit: false, littleEndian: true, deflated: transferSyntaxUid === DEFLATED_EXPLICIT_VR_LE, dcmjsSyntax: EXPLICIT_VR_LE };
}

// PS3.5 Table 7.1-1: explicit VRs with a 2-byte reserved field and 32-bit length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const SHORT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const MAX_DEPTH = 16; // nested sequences; bounds recursion on hostile input

class Malformed extends Error {}

/** Walk a data set from `offset` until `end` (defined length) or until `stopTag` is read (undefined
 *  length item). Returns the offset after what was consumed. Throws Malformed. */
function walk(b: Buffer, offset: number, end: number, s: Syntax, depth: number, stopTag: number | null, top: boolean): number {
  if (depth > MAX_DEPTH) throw new Malformed(`sequences nested deeper than ${MAX_DEPTH}`);
  const u16 = (o: number) => (s.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (s.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o));
  while (offset < end) {
    if (end - offset < 8) throw new Malformed(`${end - offset} trailing bytes at offset ${offset}`);
    const tag = (u16(offset) * 0x10000 + u16(offset + 2)) >>> 0;
    if (stopTag !== null && tag === stopTag) return offset + 8;
    if (tag >>> 16 === 0xfffe) throw new Malformed(`unexpected item tag ${tag.toString(16)} at offset ${offset}`);
    if (top && (tag >>> 16 === 0x0000 || tag >>> 16 === 0x0002)) throw new Malformed(`group ${(tag >>> 16).toString(16).padStart(4, '0')} element in a data set at offset ${offset}`);
    let vr = '';
    let length: number;
    let valueStart: number;
    if (s.implicit) {
      length = u32(offset + 4);
      valueStart = offset + 8;
    } else {
      vr = b.toString('latin1', offset + 4, offset + 6);
      if (LONG_VRS.has(vr)) {
        if (end - offset < 12) throw new Malformed(`truncated header at offset ${offset}`);
        length = u32(offset + 8);
        valueStart = offset + 12;
      } else if (SHORT_VRS.has(vr)) {
        length = u16(offset + 6);
        valueStart = offset + 8;
      } else throw new Malformed(`unknown VR '${vr.replace(/[^\x20-\x7e]/g, '?')}' at offset ${offset}`);
    }
    if (length === UNDEFINED) {
      // SQ (or UN holding one, PS3.5 6.2.2); in implicit VR the VR is unknown, so any tag. Encapsulated
      // pixel data (OB with undefined length) has no place in an identifier and is rejected.
      if (!s.implicit && vr !== 'SQ' && vr !== 'UN') throw new Malformed(`undefined length on VR ${vr} at offset ${offset}`);
      offset = walkItems(b, valueStart, end, s, depth + 1, u16, u32);
      continue;
    }
    if (length > end - valueStart) throw new Malformed(`element ${tag.toString(16).padStart(8, '0')} length ${length} exceeds the ${end - valueStart} bytes left`);
    // PS3.5 7.1.1: value lengths are even. dcmjs mis-reads odd values inside undefined-length items,
    // so an odd length is reported here rather than as a confusing parser failure.
    if (length % 2 !== 0) throw new Malformed(`element ${tag.toString(16).padStart(8, '0')} has odd length ${length}`);
    if (vr === 'SQ') walkItems(b, valueStart, valueStart + length, s, depth + 1, u16, u32, true);
    offset = valueStart + length;
  }
  if (stopTag !== null) throw new Malformed('missing delimitation item');
  return offset;
}

/** Items of a sequence (PS3.5 7.5): until the sequence delimiter, or until `end` when the
 *  sequence has a defined length. */
function walkItems(b: Buffer, offset: number, end: number, s: Syntax, depth: number, u16: (o: number) => number, u32: (o: number) => number, definedLength = false): number {
  for (;;) {
    if (definedLength && offset === end) return offset;
    if (end - offset < 8) throw new Malformed('sequence runs past the data set');
    const tag = (u16(offset) * 0x10000 + u16(offset + 2)) >>> 0;
    const length = u32(offset + 4);
    if (tag === SEQUENCE_DELIMITATION && !definedLength) return offset + 8;
    if (tag !== ITEM) throw new Malformed(`expected an item in a sequence at offset ${offset}, got ${tag.toString(16)}`);
    if (length === UNDEFINED) offset = walk(b, offset + 8, end, s, depth, ITEM_DELIMITATION, false);
    else {
      if (length > end - offset - 8) throw new Malformed(`item length ${length} exceeds the sequence`);
      walk(b, offset + 8, offset + 8 + length, s, depth, null, false);
      offset += 8 + length;
    }
  }
}

export type IdentifierResult =
  | {
      ok: true;
      /** dcmjs naturalized form, keyed by PS3.6 keyword ('QueryRetrieveLevel', 'StudyInstanceUID'). */
      dataset: Record<string, unknown>;
      elementCount: number;
      queryRetrieveLevel: string | undefined;
    }
  | { ok: false; reason: string };

/** Check that `bytes` is a well-formed data set in the given transfer syntax and parse it. Never
 *  throws: hostile bytes come straight from a peer. An empty data set is well-formed (ok, 0 elements);
 *  whether an identifier needs particular keys is the caller's rule. */
export function validateIdentifier(bytes: Buffer, transferSyntaxUid: string): IdentifierResult {
  const s = syntaxOf(transferSyntaxUid);
  let plain = bytes;
  try {
    if (s.deflated) plain = inflateRawSync(bytes, { maxOutputLength: 16 * 1024 * 1024 });
    walk(plain, 0, plain.length, s, 0, null, true);
  } catch (err) {
    return { ok: false, reason: err instanceof Malformed ? err.message : `not a data set: ${(err as Error).message}` };
  }
  try {
    const ab = plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.length) as ArrayBuffer;
    const stream = new ReadBufferStream(ab, s.littleEndian);
    const dict = DicomMessage._read(stream, s.dcmjsSyntax, { ignoreErrors: false });
    const dataset = DicomMetaDictionary.naturalizeDataset(dict);
    const level = dataset['QueryRetrieveLevel'];
    return {
      ok: true,
      dataset,
      elementCount: Object.keys(dict).length,
      queryRetrieveLevel: typeof level === 'string' ? level.trim() : undefined,
    };
  } catch (err) {
    return { ok: false, reason: `dcmjs could not parse the data set: ${(err as Error).message}` };
  }
}

/** An identifier data set holding only (0008,0058) Failed SOP Instance UID List (UI, VM 1-n,
 *  backslash-separated, NUL-padded to even), encoded in `transferSyntaxUid` by dcmjs. PS3.4
 *  C.4.2.1.4: an empty list is encoded as a zero-length element. */
export function failedSopInstanceUidList(uids: readonly string[], transferSyntaxUid: string): Buffer {
  for (const uid of uids) {
    if (!/^[0-9.]{1,64}$/.test(uid)) throw new RangeError(`not a UID: '${uid}'`);
  }
  const s = syntaxOf(transferSyntaxUid);
  const stream = new WriteBufferStream(256 + uids.length * 66, s.littleEndian);
  DicomMessage.write({ '00080058': { vr: 'UI', Value: [...uids] } }, stream, s.dcmjsSyntax, {});
  const plain = Buffer.from(stream.getBuffer());
  return s.deflated ? deflateRawSync(plain) : plain;
}
