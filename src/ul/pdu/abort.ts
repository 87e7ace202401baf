// A-ABORT, PS3.8 Table 9-26: header, [6] reserved, [7] reserved, [8] source, [9] reason/diag; PDU
// length always 4. Source 0 = service-user (reason not significant, sent as 0), 2 = service-provider.
import type { AAbort, DecodeResult } from '../types.ts';
import { PDU_TYPE } from '../types.ts';
import type { FixedField } from '../wire.ts';
import { PDU_HEADER_LENGTH, checkFixedPduLength, decodeSafely, encodePduHeader, readFixed, writeFixed } from '../wire.ts';

const ABORT: readonly FixedField<'source' | 'reason'>[] = [
  { offset: 8, width: 1, key: 'source' },
  { offset: 9, width: 1, key: 'reason' },
];

export function decodeAAbort(raw: Buffer): DecodeResult<AAbort> {
  return decodeSafely(() => {
    checkFixedPduLength(raw, 'A-ABORT', 4);
    return { type: 'A-ABORT', ...readFixed(raw, ABORT) };
  });
}

export function encodeAAbort(pdu: AAbort): Buffer {
  const buf = Buffer.alloc(PDU_HEADER_LENGTH + 4);
  encodePduHeader(PDU_TYPE['A-ABORT'], 4).copy(buf);
  writeFixed(buf, ABORT, pdu);
  return buf;
}
