// A-ASSOCIATE-RQ/AC/RJ: golden bytes both ways (PS3.8 Tables 9-11, 9-17, 9-21) and every way a
// peer's association PDU can be malformed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePdu } from '../../src/ul/codec.ts';
import type { AAssociateAc, AAssociateRq } from '../../src/ul/types.ts';
import { ascii, hex, item, pdu, u16, u32 } from '../fixtures/ul/bytes.ts';
import * as F from '../fixtures/ul/associate.ts';
import { assertBytes, parseOk, testParse, testParseError, testParseGenerate } from './helpers.ts';

describe('A-ASSOCIATE-RQ golden PDUs', () => {
  testParseGenerate('echoscu RQ (dicom-facts 1.3)', F.echoscuRqValue, F.echoscuRq);
  testParseGenerate('getscu RQ, 121 contexts, 120 role selections', F.getscuRqValue, F.getscuRq);
  testParseGenerate('RQ with user identity, ext. negotiation and unknown sub-item 0xEE', F.userIdentityRqValue, F.userIdentityRq);
  testParseGenerate(
    'RQ with maximum length 0 (unlimited)',
    F.minimalRqValue({ maxLength: 0, implementationClassUid: '1.2.3', roleSelections: [], otherItems: [] }),
    F.maxLengthZeroRq,
  );
  testParseGenerate(
    'RQ with maximum length 0xFFFFFFFF',
    F.minimalRqValue({ maxLength: 0xffffffff, implementationClassUid: '1.2.3', roleSelections: [], otherItems: [] }),
    F.maxLengthAllOnesRq,
  );
  testParse('RQ with trailing NUL on UIDs', F.trailingNulRqValue, F.trailingNulRq);

  test('getscu RQ is several KB and keeps context order and role bytes SCU then SCP', () => {
    assert.ok(F.getscuRq.length > 10_000, `${F.getscuRq.length} bytes`);
    const rq = parseOk(F.getscuRq) as AAssociateRq;
    assert.equal(rq.presentationContexts.length, 121);
    assert.equal(rq.presentationContexts.at(-1)?.id, 241);
    assert.deepEqual(rq.userInformation.roleSelections[0], { sopClassUid: '1.2.840.10008.5.1.4.1.1.1', scuRole: 0, scpRole: 1 });
  });

  test('trailing NUL is stripped on decode and never written on encode', () => {
    const out = encodePdu(parseOk(F.trailingNulRq));
    assert.equal(out.includes(Buffer.from(`${F.VERIFICATION}\0`)), false);
    assert.equal(out.length, F.trailingNulRq.length - 3);
  });

  test('AE titles lose leading and trailing spaces; a full 16-character title stays whole', () => {
    const rq = parseOk(F.paddedTitlesRq) as AAssociateRq;
    assert.equal(rq.calledAeTitle, 'LEADING');
    assert.equal(rq.callingAeTitle, 'SIXTEEN_CHARS_AE');
    assertBytes(rq.reservedEcho!, F.paddedTitlesRq.subarray(10, 74));
  });

  test('encode writes the AE titles, not reservedEcho (a relay rewrites them)', () => {
    const rewritten: AAssociateRq = { ...F.echoscuRqValue, calledAeTitle: 'LEGACY_PACS', callingAeTitle: 'GATEWAY' };
    const out = encodePdu(rewritten);
    assert.equal(out.toString('latin1', 10, 42), 'LEGACY_PACS     GATEWAY         ');
    assertBytes(out.subarray(42, 74), Buffer.alloc(32));
    assertBytes(out.subarray(74), F.echoscuRq.subarray(74));
  });

  test('an AE title over 16 bytes is a caller bug: RangeError', () => {
    assert.throws(() => encodePdu({ ...F.echoscuRqValue, calledAeTitle: 'SEVENTEEN_CHARS_X' }), RangeError);
  });

  test('unknown top-level items are ignored on decode and dropped on encode (PS3.8 9.3.1)', () => {
    const withUnknown = F.minimalRq(item(0x50, item(0x51, u32(16384))), [
      item(0x99, ascii('future item')),
      item(0x20, Buffer.from([1, 0, 0, 0]), item(0x30, ascii(F.VERIFICATION)), item(0x40, ascii(F.IMPLICIT_LE))),
    ]);
    const value = F.minimalRqValue({ maxLength: 16384, roleSelections: [], otherItems: [] });
    assert.deepStrictEqual(parseOk(withUnknown), value);
    assertBytes(encodePdu(value), F.minimalRq(item(0x50, item(0x51, u32(16384)))));
  });

  test('unknown sub-items inside a presentation context are ignored', () => {
    const rq = F.minimalRq(item(0x50, item(0x51, u32(1))), [
      item(0x20, Buffer.from([1, 0, 0, 0]), item(0x30, ascii(F.VERIFICATION)), item(0x77, ascii('x')), item(0x40, ascii(F.IMPLICIT_LE))),
    ]);
    assert.deepEqual((parseOk(rq) as AAssociateRq).presentationContexts, [
      { id: 1, abstractSyntax: F.VERIFICATION, transferSyntaxes: [F.IMPLICIT_LE] },
    ]);
  });

  test('raw sub-items are copies, not views of the received PDU', () => {
    const bytes = Buffer.from(F.userIdentityRq);
    const rq = parseOk(bytes) as AAssociateRq;
    bytes.fill(0);
    assert.deepStrictEqual(rq.userInformation.otherItems, F.userIdentityRqValue.userInformation.otherItems);
    assertBytes(rq.reservedEcho!, F.echoArea('SCP', 'SCU'));
  });
});

describe('A-ASSOCIATE-AC golden PDUs', () => {
  testParseGenerate('AC answering echoscu', F.echoAcValue, F.echoAc);
  testParseGenerate('AC with rejected contexts, one with an empty transfer syntax', F.rejectingAcValue, F.rejectingAc);

  const odd: AAssociateAc = { ...F.echoAcValue, reservedEcho: F.oddEchoArea };
  const oddBytes = Buffer.concat([F.echoAc.subarray(0, 10), F.oddEchoArea, F.echoAc.subarray(74)]);
  testParseGenerate('AC whose bytes 10..73 are not plain titles (echoed verbatim)', odd, oddBytes);

  test('a rejected context without any transfer syntax sub-item is tolerated', () => {
    const ac = pdu(
      0x02, u16(1), u16(0), F.echoArea('A', 'B'),
      item(0x10, ascii(F.APP_CONTEXT)),
      item(0x21, Buffer.from([7, 0, 2, 0])),
      item(0x50, item(0x51, u32(0))),
    );
    assert.deepEqual((parseOk(ac) as AAssociateAc).presentationContexts, [{ id: 7, result: 2, transferSyntax: '' }]);
  });

  test('an AC without presentation contexts decodes (all proposals count as rejected)', () => {
    const ac = pdu(0x02, u16(1), u16(0), F.echoArea('A', 'B'), item(0x10, ascii(F.APP_CONTEXT)), item(0x50, item(0x51, u32(0))));
    assert.deepEqual((parseOk(ac) as AAssociateAc).presentationContexts, []);
  });

  test('reservedEcho of the wrong size is a caller bug: RangeError', () => {
    assert.throws(() => encodePdu({ ...F.echoAcValue, reservedEcho: Buffer.alloc(10) }), RangeError);
  });

  test('an RQ echo area becomes the AC echo area unchanged', () => {
    const rq = parseOk(F.echoscuRq) as AAssociateRq;
    const ac = encodePdu({ ...F.echoAcValue, reservedEcho: rq.reservedEcho! });
    assertBytes(ac, F.echoAc);
  });
});

describe('A-ASSOCIATE-RJ golden PDUs', () => {
  testParseGenerate('RJ called AE not recognized (1/1/7)', F.rejectCalledAeValue, F.rejectCalledAe);
  testParseGenerate('RJ temporary congestion (2/3/1)', F.rejectCongestionValue, F.rejectCongestion);
});

// Building blocks for malformed PDUs.
const fixed = Buffer.concat([u16(1), u16(0), F.echoArea('SCP', 'SCU')]);
const appCtx = item(0x10, ascii(F.APP_CONTEXT)); // at offset 74, 25 bytes
const pc1 = item(0x20, Buffer.from([1, 0, 0, 0]), item(0x30, ascii(F.VERIFICATION)), item(0x40, ascii(F.IMPLICIT_LE)));
const ui = item(0x50, item(0x51, u32(16384)));
const rq = (...items: Buffer[]): Buffer => pdu(0x01, fixed, ...items);
const ac = (...items: Buffer[]): Buffer => pdu(0x02, fixed, ...items);

describe('A-ASSOCIATE errors', () => {
  testParseError('truncated RQ', F.echoscuRq.subarray(0, 100), 'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: PDU length 205 but only 94 bytes follow the header (truncated)');
  testParseError('RQ with a byte after its PDU length', Buffer.concat([F.echoscuRq, hex('00')]), 'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: PDU length 205 but 206 bytes follow the header');
  testParseError('RQ cut inside the header', F.echoscuRq.subarray(0, 4), 'invalid-pdu-parameter-value', /shorter than the 6-byte PDU header/);
  testParseError('RQ shorter than the fixed part', pdu(0x01, Buffer.alloc(60)), 'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: PDU length 60, shorter than the 68-byte fixed part');
  testParseError('AC shorter than the fixed part', pdu(0x02, Buffer.alloc(67)), 'invalid-pdu-parameter-value', /A-ASSOCIATE-AC: PDU length 67/);

  testParseError('presentation context item overrunning the PDU', rq(appCtx, hex('20 00 0028'), Buffer.alloc(10)), 'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: presentation context item at offset 99: length 40 runs past end of PDU (113)');
  testParseError(
    'transfer syntax sub-item overrunning its presentation context',
    rq(appCtx, hex('20 00 002e 01 000000'), item(0x30, ascii(F.VERIFICATION)), hex('40 00 001e'), ascii(F.IMPLICIT_LE), ui),
    'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: transfer syntax sub-item at offset 128: length 30 runs past end of presentation context item at offset 99 (ID 1) (149)',
  );
  testParseError('item header cut by the PDU end', rq(appCtx, pc1, ui, hex('50 00')), 'invalid-pdu-parameter-value',
    /^A-ASSOCIATE-RQ: item header at offset \d+: only 2 byte\(s\) left before end of PDU \(\d+\)$/);
  testParseError('user information sub-item overrun', rq(appCtx, pc1, hex('50 00 0008 51 00 0009 00004000')), 'invalid-pdu-parameter-value',
    /maximum length sub-item at offset \d+: length 9 runs past end of user information item at offset \d+/);

  testParseError('RQ without application context', rq(pc1, ui), 'invalid-pdu-parameter-value', 'A-ASSOCIATE-RQ: application context item (0x10) missing');
  testParseError('AC without application context', ac(ui), 'invalid-pdu-parameter-value', 'A-ASSOCIATE-AC: application context item (0x10) missing');
  testParseError('RQ without presentation contexts', rq(appCtx, ui), 'invalid-pdu-parameter-value', 'A-ASSOCIATE-RQ: no presentation context item (0x20)');
  testParseError('RQ without user information', rq(appCtx, pc1), 'invalid-pdu-parameter-value', 'A-ASSOCIATE-RQ: user information item (0x50) missing');
  testParseError('RQ without maximum length', rq(appCtx, pc1, item(0x50, item(0x52, ascii('1.2')))), 'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: user information item at offset 149: maximum length sub-item (0x51) missing');
  testParseError('AC without maximum length', ac(appCtx, item(0x50)), 'invalid-pdu-parameter-value', /A-ASSOCIATE-AC: .*maximum length sub-item \(0x51\) missing/);

  testParseError('presentation context without abstract syntax', rq(appCtx, item(0x20, hex('01000000'), item(0x40, ascii(F.IMPLICIT_LE))), ui),
    'invalid-pdu-parameter-value', 'A-ASSOCIATE-RQ: presentation context item at offset 99 (ID 1): abstract syntax sub-item (0x30) missing');
  testParseError('presentation context without transfer syntax', rq(appCtx, item(0x20, hex('03000000'), item(0x30, ascii(F.VERIFICATION))), ui),
    'invalid-pdu-parameter-value', 'A-ASSOCIATE-RQ: presentation context item at offset 99 (ID 3): no transfer syntax sub-item (0x40)');
  testParseError('presentation context with two abstract syntaxes',
    rq(appCtx, item(0x20, hex('01000000'), item(0x30, ascii('1.2')), item(0x30, ascii('1.3')), item(0x40, ascii('1.4'))), ui),
    'unexpected-pdu-parameter', /second abstract syntax sub-item/);
  testParseError('presentation context item shorter than its fixed part', rq(appCtx, item(0x20, hex('0100')), ui), 'invalid-pdu-parameter-value',
    'A-ASSOCIATE-RQ: presentation context item at offset 99: length 2, need at least 4');
  testParseError('duplicate presentation context ID', rq(appCtx, pc1, pc1, ui), 'invalid-pdu-parameter-value', /presentation context ID 1 used twice/);
  testParseError('AC presentation context item in an RQ', rq(appCtx, pc1, item(0x21, hex('01000000'), item(0x40, ascii('1.2'))), ui),
    'unexpected-pdu-parameter', /presentation context item \(AC\) at offset \d+ \(type 0x21\) does not belong in this PDU/);
  testParseError('RQ presentation context item in an AC', ac(appCtx, pc1, ui), 'unexpected-pdu-parameter', /type 0x20/);
  testParseError('accepted AC context without transfer syntax', ac(appCtx, item(0x21, hex('01000000')), ui), 'invalid-pdu-parameter-value',
    /accepted but no transfer syntax sub-item/);
  testParseError('two application context items', rq(appCtx, appCtx, pc1, ui), 'unexpected-pdu-parameter', /second application context item/);
  testParseError('two user information items', rq(appCtx, pc1, ui, ui), 'unexpected-pdu-parameter', /second user information item/);

  testParseError('maximum length sub-item of length 3', rq(appCtx, pc1, item(0x50, item(0x51, hex('000040')))), 'invalid-pdu-parameter-value',
    /maximum length sub-item at offset 153: length 3, must be 4/);
  testParseError('repeated maximum length sub-item', rq(appCtx, pc1, item(0x50, item(0x51, u32(1)), item(0x51, u32(0)))), 'unexpected-pdu-parameter',
    /maximum length sub-item at offset 161: repeated/);
  testParseError('async operations window of length 2', rq(appCtx, pc1, item(0x50, item(0x51, u32(1)), item(0x53, u16(1)))), 'invalid-pdu-parameter-value',
    /asynchronous operations window sub-item at offset \d+: length 2, must be 4/);
  testParseError('role selection whose UID length disagrees with the item', rq(appCtx, pc1, item(0x50, item(0x51, u32(1)), item(0x54, u16(10), ascii('1.2.3'), hex('0001')))),
    'invalid-pdu-parameter-value', /SCP\/SCU role selection sub-item at offset \d+: length 9, must be 14/);
  testParseError('role selection too short for its UID length', rq(appCtx, pc1, item(0x50, item(0x51, u32(1)), item(0x54, hex('00')))),
    'invalid-pdu-parameter-value', /role selection sub-item at offset \d+: length 1, too short/);

  testParseError('RJ with PDU length 5', hex('03 00 00000005 00 01 01 07 00'), 'invalid-pdu-parameter-value', 'A-ASSOCIATE-RJ: PDU length 5, must be 4');
  testParseError('RJ with PDU length 3', hex('03 00 00000003 00 01 01'), 'invalid-pdu-parameter-value', 'A-ASSOCIATE-RJ: PDU length 3, must be 4');
  testParseError('RJ truncated', hex('03 00 00000004 00 01'), 'invalid-pdu-parameter-value', /truncated/);
});
