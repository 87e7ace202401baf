// A-RELEASE-RQ (PS3.8 Table 9-24) and A-RELEASE-RP (Table 9-25): the 6-byte header and 4 reserved
// bytes, PDU length always 4. Reserved bytes are sent as 0 and not tested on receive.
import type { AReleaseRp, AReleaseRq, DecodeResult } from '../types.ts';
import { PDU_TYPE } from '../types.ts';
import { PDU_HEADER_LENGTH, checkFixedPduLength, decodeSafely, encodePduHeader } from '../wire.ts';

export function decodeAReleaseRq(raw: Buffer): DecodeResult<AReleaseRq> {
  return decodeSafely(() => {
    checkFixedPduLength(raw, 'A-RELEASE-RQ', 4);
    return { type: 'A-RELEASE-RQ' };
  });
}

export function decodeAReleaseRp(raw: Buffer): DecodeResult<AReleaseRp> {
  return decodeSafely(() => {
    checkFixedPduLength(raw, 'A-RELEASE-RP', 4);
    return { type: 'A-RELEASE-RP' };
  });
}

function encodeRelease(type: number): Buffer {
  const buf = Buffer.alloc(PDU_HEADER_LENGTH + 4);
  encodePduHeader(type, 4).copy(buf);
  return buf;
}

export function encodeAReleaseRq(_pdu?: AReleaseRq): Buffer {
  return encodeRelease(PDU_TYPE['A-RELEASE-RQ']);
}

export function encodeAReleaseRp(_pdu?: AReleaseRp): Buffer {
  return encodeRelease(PDU_TYPE['A-RELEASE-RP']);
}
