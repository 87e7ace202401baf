// A-ASSOCIATE-RQ (PS3.8 Table 9-11), A-ASSOCIATE-AC (Table 9-17) and A-ASSOCIATE-RJ (Table 9-21).
// Offsets are 0-based from the start of the PDU (the standard counts from 1):
//   [0] type  [1] reserved  [2..5] PDU length  [6..7] protocol version  [8..9] reserved
//   [10..25] called AE title  [26..41] calling AE title  [42..73] reserved     (RQ)
//   [10..73] reserved: "the value received in the A-ASSOCIATE-RQ", not tested  (AC)
//   [74..]   variable items: 0x10 application context, 0x20/0x21 presentation contexts, 0x50 user info
// Variable items of unknown type are ignored, as PS3.8 9.3.1 asks, and dropped on re-encode.
import type { AAssociateAc, AAssociateRj, AAssociateRq, DecodeResult, PduTypeName, UserInformation } from '../types.ts';
import { PDU_TYPE } from '../types.ts';
import { ITEM_TYPE, hex2 } from '../codes.ts';
import type { FixedField, RawItem } from '../wire.ts';
import {
  PDU_HEADER_LENGTH,
  checkFixedPduLength,
  checkPduHeader,
  decodeSafely,
  encodePduHeader,
  fail,
  invalid,
  itemAt,
  readFixed,
  readItems,
  writeFixed,
} from '../wire.ts';
import { decodeApplicationContext, encodeApplicationContext } from '../items/application-context.ts';
import {
  decodePresentationContextAc,
  decodePresentationContextRq,
  encodePresentationContextAc,
  encodePresentationContextRq,
} from '../items/presentation-context.ts';
import { decodeUserInformation, encodeUserInformation } from '../items/user-info.ts';

/** Bytes 6..73: protocol version, reserved, AE titles / echo area. */
export const ASSOCIATE_FIXED_LENGTH = 68;
const ITEMS_START = PDU_HEADER_LENGTH + ASSOCIATE_FIXED_LENGTH; // 74
/** Bytes 10..73, echoed from the RQ into the AC. */
export const RESERVED_ECHO_START = 10;
export const RESERVED_ECHO_LENGTH = 64;
const AE_TITLE_LENGTH = 16;

const VERSION: readonly FixedField<'protocolVersion'>[] = [{ offset: 6, width: 2, key: 'protocolVersion' }];

interface VariablePart<P> {
  applicationContextName: string;
  presentationContexts: P[];
  userInformation: UserInformation;
}

/** Walks the variable items of an RQ or AC: one 0x10, presentation contexts of `pcType`, one 0x50. */
function decodeVariablePart<P extends { id: number }>(
  raw: Buffer,
  name: PduTypeName,
  pcType: number,
  decodePc: (raw: Buffer, item: RawItem, where: string) => P,
): VariablePart<P> {
  // The other direction's context item type: known, but wrong in this PDU.
  const wrongPcType = pcType === ITEM_TYPE.presentationContextRq ? ITEM_TYPE.presentationContextAc : ITEM_TYPE.presentationContextRq;
  let applicationContextName: string | undefined;
  let userInformation: UserInformation | undefined;
  let userInformationItem: RawItem | undefined;
  const presentationContexts: P[] = [];
  const ids = new Set<number>();
  for (const item of readItems(raw, ITEMS_START, raw.length, name, 'PDU')) {
    if (item.type === ITEM_TYPE.applicationContext) {
      if (applicationContextName !== undefined) fail('unexpected-pdu-parameter', `${name}: second ${itemAt(item)}`);
      applicationContextName = decodeApplicationContext(raw, item);
    } else if (item.type === pcType) {
      const pc = decodePc(raw, item, name);
      // A repeated ID would make the AC (which names contexts only by ID) ambiguous.
      if (ids.has(pc.id)) invalid(`${name}: ${itemAt(item)}: presentation context ID ${pc.id} used twice`);
      ids.add(pc.id);
      presentationContexts.push(pc);
    } else if (item.type === ITEM_TYPE.userInformation) {
      if (userInformation !== undefined) fail('unexpected-pdu-parameter', `${name}: second ${itemAt(item)}`);
      userInformation = decodeUserInformation(raw, item, name);
      userInformationItem = item;
    } else if (item.type === wrongPcType) {
      fail('unexpected-pdu-parameter', `${name}: ${itemAt(item)} (type ${hex2(item.type)}) does not belong in this PDU`);
    }
  }
  if (applicationContextName === undefined) invalid(`${name}: application context item (0x10) missing`);
  if (userInformation === undefined || userInformationItem === undefined) invalid(`${name}: user information item (0x50) missing`);
  if (userInformation.maxLength === undefined) {
    invalid(`${name}: ${itemAt(userInformationItem)}: maximum length sub-item (0x51) missing`);
  }
  return { applicationContextName, presentationContexts, userInformation };
}

function checkAssociateHeader(raw: Buffer, name: PduTypeName): number {
  checkPduHeader(raw, name);
  if (raw.length < ITEMS_START) {
    invalid(`${name}: PDU length ${raw.length - PDU_HEADER_LENGTH}, shorter than the ${ASSOCIATE_FIXED_LENGTH}-byte fixed part`);
  }
  return readFixed(raw, VERSION).protocolVersion;
}

/** AE title field: ISO 646, space padded; leading and trailing spaces are not significant (PS3.8 Annex C). */
function readAeTitle(raw: Buffer, offset: number): string {
  return raw.toString('latin1', offset, offset + AE_TITLE_LENGTH).replace(/^ +| +$/g, '');
}

function writeAeTitle(buf: Buffer, offset: number, title: string, label: string): void {
  const bytes = Buffer.from(title, 'latin1');
  if (bytes.length > AE_TITLE_LENGTH) throw new RangeError(`${label} '${title}' is longer than 16 bytes`);
  buf.fill(0x20, offset, offset + AE_TITLE_LENGTH);
  bytes.copy(buf, offset);
}

/** Decodes a whole A-ASSOCIATE-RQ (header included). PS3.8 Table 9-11. */
export function decodeAAssociateRq(raw: Buffer): DecodeResult<AAssociateRq> {
  return decodeSafely(() => {
    const name = 'A-ASSOCIATE-RQ';
    const protocolVersion = checkAssociateHeader(raw, name);
    const v = decodeVariablePart(raw, name, ITEM_TYPE.presentationContextRq, decodePresentationContextRq);
    if (v.presentationContexts.length === 0) invalid(`${name}: no presentation context item (0x20)`);
    return {
      type: name,
      protocolVersion,
      calledAeTitle: readAeTitle(raw, 10),
      callingAeTitle: readAeTitle(raw, 26),
      reservedEcho: Buffer.from(raw.subarray(RESERVED_ECHO_START, RESERVED_ECHO_START + RESERVED_ECHO_LENGTH)),
      ...v,
    };
  });
}

/** Decodes a whole A-ASSOCIATE-AC. PS3.8 Table 9-17. An AC with no presentation context item is
 *  accepted here: every proposed context then counts as rejected (dicom-facts 1.4). */
export function decodeAAssociateAc(raw: Buffer): DecodeResult<AAssociateAc> {
  return decodeSafely(() => {
    const name = 'A-ASSOCIATE-AC';
    const protocolVersion = checkAssociateHeader(raw, name);
    const v = decodeVariablePart(raw, name, ITEM_TYPE.presentationContextAc, decodePresentationContextAc);
    return {
      type: name,
      protocolVersion,
      reservedEcho: Buffer.from(raw.subarray(RESERVED_ECHO_START, RESERVED_ECHO_START + RESERVED_ECHO_LENGTH)),
      ...v,
    };
  });
}

function encodeAssociate(type: number, protocolVersion: number, echo: (head: Buffer) => void, items: Buffer[]): Buffer {
  const head = Buffer.alloc(ITEMS_START); // reserved bytes stay 0
  const itemsLength = items.reduce((n, b) => n + b.length, 0);
  encodePduHeader(type, ASSOCIATE_FIXED_LENGTH + itemsLength).copy(head);
  writeFixed(head, VERSION, { protocolVersion });
  echo(head);
  return Buffer.concat([head, ...items]);
}

/** Encodes an A-ASSOCIATE-RQ. Bytes 10..73 always come from calledAeTitle/callingAeTitle (space padded)
 *  plus 32 zero bytes, never from `reservedEcho`: a relay rewrites the titles. Throws RangeError for an
 *  AE title over 16 bytes or an item over 65535 bytes (caller bugs, not peer input). */
export function encodeAAssociateRq(pdu: AAssociateRq): Buffer {
  return encodeAssociate(
    PDU_TYPE['A-ASSOCIATE-RQ'],
    pdu.protocolVersion,
    (head) => {
      writeAeTitle(head, 10, pdu.calledAeTitle, 'called AE title');
      writeAeTitle(head, 26, pdu.callingAeTitle, 'calling AE title');
    },
    [
      encodeApplicationContext(pdu.applicationContextName),
      ...pdu.presentationContexts.map(encodePresentationContextRq),
      encodeUserInformation(pdu.userInformation),
    ],
  );
}

/** Encodes an A-ASSOCIATE-AC, writing `reservedEcho` (64 bytes) verbatim at bytes 10..73. */
export function encodeAAssociateAc(pdu: AAssociateAc): Buffer {
  if (pdu.reservedEcho.length !== RESERVED_ECHO_LENGTH) {
    throw new RangeError(`A-ASSOCIATE-AC: reservedEcho has ${pdu.reservedEcho.length} bytes, must be ${RESERVED_ECHO_LENGTH}`);
  }
  return encodeAssociate(
    PDU_TYPE['A-ASSOCIATE-AC'],
    pdu.protocolVersion,
    (head) => pdu.reservedEcho.copy(head, RESERVED_ECHO_START),
    [
      encodeApplicationContext(pdu.applicationContextName),
      ...pdu.presentationContexts.map(encodePresentationContextAc),
      encodeUserInformation(pdu.userInformation),
    ],
  );
}

/** A-ASSOCIATE-RJ fields, PS3.8 Table 9-21: [6] reserved, [7] result, [8] source, [9] reason/diag. */
const REJECT: readonly FixedField<'result' | 'source' | 'reason'>[] = [
  { offset: 7, width: 1, key: 'result' },
  { offset: 8, width: 1, key: 'source' },
  { offset: 9, width: 1, key: 'reason' },
];

export function decodeAAssociateRj(raw: Buffer): DecodeResult<AAssociateRj> {
  return decodeSafely(() => {
    checkFixedPduLength(raw, 'A-ASSOCIATE-RJ', 4);
    return { type: 'A-ASSOCIATE-RJ', ...readFixed(raw, REJECT) };
  });
}

export function encodeAAssociateRj(pdu: AAssociateRj): Buffer {
  const buf = Buffer.alloc(PDU_HEADER_LENGTH + 4);
  encodePduHeader(PDU_TYPE['A-ASSOCIATE-RJ'], 4).copy(buf);
  writeFixed(buf, REJECT, pdu);
  return buf;
}
