// Cut a command set or data set into P-DATA-TF PDUs, PS3.8 9.3.5 and Annex E (dicom-facts 1.8, 1.9).
//
// Layout of each PDU we produce:
//   [0] 0x04 P-DATA-TF  [1] reserved 0  [2..5] PDU-length uint32 BE (bytes after this header)
//   [6..9] PDV item-length uint32 BE (= 2 + fragment)  [10] PC id  [11] message control header
//   [12..] fragment
// so PDU-length = 6 + fragment length.
//
// Choices, each for a field problem in dicom-facts 5:
//   - one PDV per PDU, and command and data set never share a PDU (5.4: MicroDicom, fo-dicom#1960);
//   - every fragment but a trailing odd remainder has even length (E.1; 5.5, fo-dicom#284);
//   - PDU-length <= the peer's Maximum Length Received (D.1). DCMTK accepts == max (1.9), so we use
//     all of it; 0 means "no limit" and yields a single PDU.
// Built here rather than with src/ul/pdu/pdata.ts so the DIMSE layer has no build-order dependency
// on the UL codecs; the bytes are the same Table 9-22/9-23 layout.

const PDU_HEADER = 6; // type, reserved, uint32 length
const PDV_HEADER = 6; // uint32 item length, PC id, message control header
const P_DATA_TF = 0x04;

/** Message control header bits, PS3.8 E.2. */
const MCH_COMMAND = 0x01;
const MCH_LAST = 0x02;

/** Largest even fragment a PDU-length of `maxPduLength` can carry; Infinity when unlimited. */
export function maxFragmentLength(maxPduLength: number): number {
  if (!Number.isInteger(maxPduLength) || maxPduLength < 0) throw new RangeError(`max PDU length ${maxPduLength} is not a non-negative integer`);
  if (maxPduLength === 0) return Infinity;
  const room = (maxPduLength - PDV_HEADER) & ~1;
  // Below 8 not even a 2-byte fragment fits; no real peer negotiates that (DCMTK's floor is 4096),
  // so it is a caller bug, not peer input.
  if (room < 2) throw new RangeError(`max PDU length ${maxPduLength} cannot carry a PDV fragment`);
  return room;
}

/** One P-DATA-TF PDU holding one PDV. */
export function pDataPdu(pcId: number, isCommand: boolean, isLast: boolean, fragment: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PDU_HEADER + PDV_HEADER + fragment.length);
  out.writeUInt8(P_DATA_TF, 0);
  out.writeUInt8(0, 1);
  out.writeUInt32BE(PDV_HEADER + fragment.length, 2);
  out.writeUInt32BE(2 + fragment.length, 6);
  out.writeUInt8(pcId, 10);
  out.writeUInt8((isCommand ? MCH_COMMAND : 0) | (isLast ? MCH_LAST : 0), 11);
  fragment.copy(out, 12);
  return out;
}

/** Fragment `bytes` as the command (isCommand) or data set stream of one message. An empty stream
 *  still yields one PDU whose PDV is flagged last, so the receiver sees the end. */
export function toPData(pcId: number, bytes: Buffer, isCommand: boolean, maxPduLength: number): Buffer[] {
  if (!Number.isInteger(pcId) || pcId < 1 || pcId > 255) throw new RangeError(`presentation context id ${pcId} out of 1..255`);
  const step = maxFragmentLength(maxPduLength);
  const pdus: Buffer[] = [];
  let offset = 0;
  do {
    const end = Math.min(bytes.length, offset + step);
    pdus.push(pDataPdu(pcId, isCommand, end === bytes.length, bytes.subarray(offset, end)));
    offset = end;
  } while (offset < bytes.length);
  return pdus;
}

/** P-DATA-TF PDUs carrying a whole command set. `maxPduLength` is the peer's receive maximum (0 = unlimited). */
export function commandToPData(pcId: number, commandBytes: Buffer, maxPduLength: number): Buffer[] {
  return toPData(pcId, commandBytes, true, maxPduLength);
}

/** P-DATA-TF PDUs carrying a whole data set the gateway synthesizes (identifier, Failed SOP Instance
 *  UID List). Relayed data sets are streamed by the pump and never pass through here. */
export function dataToPData(pcId: number, data: Buffer, maxPduLength: number): Buffer[] {
  return toPData(pcId, data, false, maxPduLength);
}
