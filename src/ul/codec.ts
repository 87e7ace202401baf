// Whole-PDU codec: bytes of one PDU (6-byte header included) <-> Pdu values, dispatched by the type
// byte through one table (PS3.8 9.3.1 type codes). Decoding never throws: bad input is { ok: false }
// with a DecodeError whose kind maps onto the A-ABORT reason (types.ts ABORT_REASON_FOR).
import type { DecodeResult, Pdu, PduTypeName } from './types.ts';
import { hex2 } from './codes.ts';
import {
  decodeAAssociateAc,
  decodeAAssociateRj,
  decodeAAssociateRq,
  encodeAAssociateAc,
  encodeAAssociateRj,
  encodeAAssociateRq,
} from './pdu/associate.ts';
import { decodePDataTf, encodePDataTf } from './pdu/pdata.ts';
import { decodeAReleaseRp, decodeAReleaseRq, encodeAReleaseRp, encodeAReleaseRq } from './pdu/release.ts';
import { decodeAAbort, encodeAAbort } from './pdu/abort.ts';

interface PduCodec {
  name: PduTypeName;
  decode: (raw: Buffer) => DecodeResult<Pdu>;
}

/** Type byte -> codec; PS3.8 Table 9-11..9-26. */
const BY_TYPE: ReadonlyMap<number, PduCodec> = new Map<number, PduCodec>([
  [0x01, { name: 'A-ASSOCIATE-RQ', decode: decodeAAssociateRq }],
  [0x02, { name: 'A-ASSOCIATE-AC', decode: decodeAAssociateAc }],
  [0x03, { name: 'A-ASSOCIATE-RJ', decode: decodeAAssociateRj }],
  [0x04, { name: 'P-DATA-TF', decode: decodePDataTf }],
  [0x05, { name: 'A-RELEASE-RQ', decode: decodeAReleaseRq }],
  [0x06, { name: 'A-RELEASE-RP', decode: decodeAReleaseRp }],
  [0x07, { name: 'A-ABORT', decode: decodeAAbort }],
]);

/** 'A-ASSOCIATE-RQ' for 0x01 ...; 'unknown PDU type 0x42' otherwise. */
export function pduTypeName(byte: number): string {
  return BY_TYPE.get(byte)?.name ?? `unknown PDU type ${hex2(byte)}`;
}

/** True for the seven PDU types of PS3.8 9.3. */
export function isKnownPduType(byte: number): boolean {
  return BY_TYPE.has(byte);
}

/** Decodes one whole PDU (header included, exactly PDU-length bytes after it). */
export function decodePdu(raw: Buffer): DecodeResult<Pdu> {
  if (raw.length === 0) return { ok: false, error: { kind: 'invalid-pdu-parameter-value', message: 'empty buffer, no PDU header' } };
  const codec = BY_TYPE.get(raw[0]!);
  if (codec === undefined) return { ok: false, error: { kind: 'unrecognized-pdu', message: pduTypeName(raw[0]!) } };
  return codec.decode(raw);
}

/** Encodes a PDU. Throws RangeError only for values no peer could have sent us (an AE title over
 *  16 bytes, an item over 65535 bytes, an AC reservedEcho that is not 64 bytes, a P-DATA-TF without PDVs). */
export function encodePdu(pdu: Pdu): Buffer {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
      return encodeAAssociateRq(pdu);
    case 'A-ASSOCIATE-AC':
      return encodeAAssociateAc(pdu);
    case 'A-ASSOCIATE-RJ':
      return encodeAAssociateRj(pdu);
    case 'P-DATA-TF':
      return encodePDataTf(pdu.pdvs);
    case 'A-RELEASE-RQ':
      return encodeAReleaseRq(pdu);
    case 'A-RELEASE-RP':
      return encodeAReleaseRp(pdu);
    case 'A-ABORT':
      return encodeAAbort(pdu);
  }
}
