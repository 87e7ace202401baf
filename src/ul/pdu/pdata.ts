// P-DATA-TF, PS3.8 Table 9-22, holding one or more presentation data value items (Table 9-23):
//   PDU:  [0] 0x04  [1] reserved  [2..5] PDU length  [6..] PDV items
//   PDV:  [0..3] item length (= 2 + fragment length)  [4] presentation context ID
//         [5] message control header  [6..] fragment
// Message control header, PS3.8 Annex E.2: bit 0 set = command (else data set), bit 1 set = last
// fragment; bits 2..7 are sent 0 and not tested.
// The relay streams P-DATA through the framer (framer.ts) and writes headers with encodePDataHeader
// and encodePdvHeader; the whole-PDU codec here serves tests, the gateway's own C-ECHO and small
// command sets.
import type { DecodeResult, PDataTf, Pdv } from '../types.ts';
import { PDU_TYPE } from '../types.ts';
import { PDU_HEADER_LENGTH, checkPduHeader, decodeSafely, encodePduHeader, invalid } from '../wire.ts';

export const PDV_HEADER_LENGTH = 6;
/** PDV item length counts the context ID and control header bytes besides the fragment. */
const PDV_ITEM_OVERHEAD = 2;

export const MCH_COMMAND = 0x01;
export const MCH_LAST = 0x02;

export function messageControlHeader(isCommand: boolean, isLast: boolean): number {
  return (isCommand ? MCH_COMMAND : 0) | (isLast ? MCH_LAST : 0);
}

/** Message for a PDV whose item length is impossible; shared with the framer so both report alike.
 *  `offset` is the PDV's offset in the PDU, `pduEnd` the offset just past the PDU. */
export function checkPdvItemLength(itemLength: number, offset: number, pduEnd: number): string | undefined {
  if (itemLength < PDV_ITEM_OVERHEAD) return `P-DATA-TF: PDV item at offset ${offset}: length ${itemLength}, must be at least 2`;
  if (offset + 4 + itemLength > pduEnd) {
    return `P-DATA-TF: PDV item at offset ${offset}: length ${itemLength} runs past end of PDU (${pduEnd})`;
  }
  return undefined;
}

export function pdvHeaderTruncated(offset: number, pduEnd: number): string {
  return `P-DATA-TF: PDV item header at offset ${offset}: only ${pduEnd - offset} byte(s) left before end of PDU (${pduEnd})`;
}

/** Decodes a whole P-DATA-TF. Each `data` is a subarray of `raw` (no copy): it shares raw's memory. */
export function decodePDataTf(raw: Buffer): DecodeResult<PDataTf> {
  return decodeSafely(() => {
    checkPduHeader(raw, 'P-DATA-TF');
    const end = raw.length;
    if (end === PDU_HEADER_LENGTH) invalid('P-DATA-TF: no PDV item (PDU length 0)');
    const pdvs: Pdv[] = [];
    let offset = PDU_HEADER_LENGTH;
    while (offset < end) {
      if (end - offset < PDV_HEADER_LENGTH) invalid(pdvHeaderTruncated(offset, end));
      const itemLength = raw.readUInt32BE(offset);
      const problem = checkPdvItemLength(itemLength, offset, end);
      if (problem !== undefined) invalid(problem);
      const mch = raw[offset + 5]!;
      pdvs.push({
        presentationContextId: raw[offset + 4]!,
        isCommand: (mch & MCH_COMMAND) !== 0,
        isLast: (mch & MCH_LAST) !== 0,
        data: raw.subarray(offset + PDV_HEADER_LENGTH, offset + 4 + itemLength),
      });
      offset += 4 + itemLength;
    }
    return { type: 'P-DATA-TF', pdvs };
  });
}

/** The 6-byte P-DATA-TF header for a PDU whose PDV items total `pduLength` bytes. */
export function encodePDataHeader(pduLength: number): Buffer {
  return encodePduHeader(PDU_TYPE['P-DATA-TF'], pduLength);
}

/** The 6-byte PDV item header: uint32 item length (fragmentLength + 2), context ID, control header. */
export function encodePdvHeader(fragmentLength: number, presentationContextId: number, isCommand: boolean, isLast: boolean): Buffer {
  const header = Buffer.alloc(PDV_HEADER_LENGTH);
  header.writeUInt32BE(fragmentLength + PDV_ITEM_OVERHEAD, 0);
  header[4] = presentationContextId;
  header[5] = messageControlHeader(isCommand, isLast);
  return header;
}

/** The 12 bytes before a fragment sent as a P-DATA-TF holding exactly one PDV: the PDU header
 *  and the PDV item header. The relay's streaming path writes this, then the fragment's bytes; one
 *  small pooled allocation per PDV keeps garbage low while gigabytes pass. */
export function encodeSinglePdvHeaders(fragmentLength: number, presentationContextId: number, isCommand: boolean, isLast: boolean): Buffer {
  const b = Buffer.allocUnsafe(6 + PDV_HEADER_LENGTH);
  b[0] = PDU_TYPE['P-DATA-TF'];
  b[1] = 0;
  b.writeUInt32BE(fragmentLength + PDV_HEADER_LENGTH, 2);
  b.writeUInt32BE(fragmentLength + PDV_ITEM_OVERHEAD, 6);
  b[10] = presentationContextId;
  b[11] = messageControlHeader(isCommand, isLast);
  return b;
}

/** Encodes a whole P-DATA-TF. Throws RangeError for an empty list: PS3.8 9.3.5 needs at least one PDV. */
export function encodePDataTf(pdvs: Pdv[]): Buffer {
  if (pdvs.length === 0) throw new RangeError('P-DATA-TF needs at least one PDV');
  const parts: Buffer[] = [];
  let pduLength = 0;
  for (const pdv of pdvs) {
    parts.push(encodePdvHeader(pdv.data.length, pdv.presentationContextId, pdv.isCommand, pdv.isLast), pdv.data);
    pduLength += PDV_HEADER_LENGTH + pdv.data.length;
  }
  return Buffer.concat([encodePDataHeader(pduLength), ...parts], PDU_HEADER_LENGTH + pduLength);
}
