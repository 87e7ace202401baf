// P-DATA-TF (PS3.8 Table 9-22/9-23, Annex E.2), A-RELEASE-RQ/RP (Tables 9-24/9-25), A-ABORT (Table 9-26).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePDataHeader, encodePDataTf, encodePdvHeader } from '../../src/ul/pdu/pdata.ts';
import type { PDataTf } from '../../src/ul/types.ts';
import { hex, pdu, pdv } from '../fixtures/ul/bytes.ts';
import * as S from '../fixtures/ul/short-pdus.ts';
import { assertBytes, parseOk, testParse, testParseError, testParseGenerate } from './helpers.ts';

describe('P-DATA-TF', () => {
  testParseGenerate('C-ECHO-RQ command in one PDV', S.echoRqPDataValue, S.echoRqPDataFull);
  testParseGenerate('three data set PDVs in one PDU, one empty', S.twoFragmentsValue, S.twoFragments);
  testParse('reserved message control header bits are ignored', S.reservedMchBitsValue, S.reservedMchBits);

  test('decoded fragments are views of the PDU, not copies', () => {
    const value = parseOk(S.echoRqPDataFull) as PDataTf;
    assert.equal(value.pdvs[0]!.data.buffer, S.echoRqPDataFull.buffer);
  });

  test('streaming headers: encodePDataHeader + encodePdvHeader + fragment == encodePDataTf', () => {
    const fragment = Buffer.from('0123456789');
    const streamed = Buffer.concat([encodePDataHeader(6 + fragment.length), encodePdvHeader(fragment.length, 7, false, true), fragment]);
    assertBytes(streamed, encodePDataTf([{ presentationContextId: 7, isCommand: false, isLast: true, data: fragment }]));
    assertBytes(encodePdvHeader(10, 7, false, true), hex('0000000c 07 02'));
    assertBytes(encodePdvHeader(0, 1, true, false), hex('00000002 01 01'));
    assertBytes(encodePDataHeader(0xffffffff), hex('04 00 ffffffff'));
  });

  test('a P-DATA-TF without PDVs cannot be encoded', () => {
    assert.throws(() => encodePDataTf([]), RangeError);
  });

  testParseError('P-DATA-TF without PDV', hex('04 00 00000000'), 'invalid-pdu-parameter-value', 'P-DATA-TF: no PDV item (PDU length 0)');
  testParseError('PDV item length 1', pdu(0x04, hex('00000001 01')), 'invalid-pdu-parameter-value',
    /P-DATA-TF: PDV item header at offset 6: only 5 byte\(s\) left/);
  testParseError('PDV item length below 2', pdu(0x04, hex('00000001 01 03')), 'invalid-pdu-parameter-value',
    'P-DATA-TF: PDV item at offset 6: length 1, must be at least 2');
  testParseError('PDV item overrunning the PDU', pdu(0x04, hex('00000010 01 03 aabb')), 'invalid-pdu-parameter-value',
    'P-DATA-TF: PDV item at offset 6: length 16 runs past end of PDU (14)');
  testParseError('bytes after the last PDV', pdu(0x04, pdv(1, 3, hex('aabb')), hex('000000')), 'invalid-pdu-parameter-value',
    'P-DATA-TF: PDV item header at offset 14: only 3 byte(s) left before end of PDU (17)');
  testParseError('truncated P-DATA-TF', S.echoRqPDataFull.subarray(0, 40), 'invalid-pdu-parameter-value', /truncated/);
});

describe('A-RELEASE-RQ/RP and A-ABORT', () => {
  testParseGenerate('A-RELEASE-RQ', { type: 'A-RELEASE-RQ' }, S.releaseRq);
  testParseGenerate('A-RELEASE-RP', { type: 'A-RELEASE-RP' }, S.releaseRp);
  testParseGenerate('A-ABORT by the service-user', S.abortUserValue, S.abortUser);
  testParseGenerate('A-ABORT by the provider, invalid parameter value', S.abortInvalidParameterValue, S.abortInvalidParameter);
  testParse('reserved bytes are not tested', { type: 'A-RELEASE-RQ' }, hex('05 ff 00000004 ffffffff'));

  testParseError('A-RELEASE-RQ with PDU length 0', hex('05 00 00000000'), 'invalid-pdu-parameter-value', 'A-RELEASE-RQ: PDU length 0, must be 4');
  testParseError('A-RELEASE-RP with PDU length 6', hex('06 00 00000006 000000000000'), 'invalid-pdu-parameter-value', 'A-RELEASE-RP: PDU length 6, must be 4');
  testParseError('A-ABORT with PDU length 2', hex('07 00 00000002 0000'), 'invalid-pdu-parameter-value', 'A-ABORT: PDU length 2, must be 4');
  testParseError('A-ABORT truncated', hex('07 00 00000004 00'), 'invalid-pdu-parameter-value', 'A-ABORT: PDU length 4 but only 1 bytes follow the header (truncated)');
});
