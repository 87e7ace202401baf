// decodePdu dispatch, code tables, and the promise that no input makes the decoder throw.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePdu, encodePdu, pduTypeName } from '../../src/ul/codec.ts';
import { describeAbort, describeReject, itemTypeName } from '../../src/ul/codes.ts';
import { ABORT_REASON_FOR } from '../../src/ul/types.ts';
import { hex } from '../fixtures/ul/bytes.ts';
import * as F from '../fixtures/ul/associate.ts';
import * as S from '../fixtures/ul/short-pdus.ts';
import { testParseError } from './helpers.ts';

describe('decodePdu dispatch', () => {
  testParseError('PDU type 0x08', hex('08 00 00000004 00000000'), 'unrecognized-pdu', 'unknown PDU type 0x08');
  testParseError('PDU type 0x00', hex('00 00 00000000'), 'unrecognized-pdu', 'unknown PDU type 0x00');
  testParseError('a TLS ClientHello on a plain port', hex('16 03 01 0200 01'), 'unrecognized-pdu', 'unknown PDU type 0x16');
  testParseError('empty buffer', Buffer.alloc(0), 'invalid-pdu-parameter-value', /empty/);

  test('pduTypeName names the seven PDUs and flags the rest', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map(pduTypeName),
      ['A-ASSOCIATE-RQ', 'A-ASSOCIATE-AC', 'A-ASSOCIATE-RJ', 'P-DATA-TF', 'A-RELEASE-RQ', 'A-RELEASE-RP', 'A-ABORT'],
    );
    assert.equal(pduTypeName(0xff), 'unknown PDU type 0xFF');
  });

  test('every decode error kind maps to an A-ABORT reason', () => {
    assert.equal(ABORT_REASON_FOR['unrecognized-pdu'], 1);
    assert.equal(ABORT_REASON_FOR['invalid-pdu-parameter-value'], 6);
  });
});

describe('decodePdu never throws', () => {
  const fixtures = [F.echoscuRq, F.echoAc, F.getscuRq.subarray(0, 2000), F.userIdentityRq, F.rejectingAc, S.echoRqPDataFull, S.twoFragments, S.abortUser];

  // Deterministic PRNG so a failure reproduces.
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };

  test('every truncation of every fixture is an error value', () => {
    for (const f of fixtures) {
      for (let cut = 0; cut < f.length; cut++) {
        const r = decodePdu(f.subarray(0, cut));
        assert.equal(r.ok, false, `cut at ${cut} decoded`);
      }
    }
  });

  test('fixtures with one to four bytes mutated decode or fail cleanly, and what decodes re-encodes', () => {
    for (let round = 0; round < 20_000; round++) {
      const f = Buffer.from(fixtures[rand(fixtures.length)]!);
      for (let k = 1 + rand(4); k > 0; k--) f[rand(f.length)] = rand(256);
      const r = decodePdu(f);
      if (r.ok) assert.ok(Buffer.isBuffer(encodePdu(r.value)));
      else assert.ok(r.error.kind in ABORT_REASON_FOR && r.error.message.length > 0);
    }
  });

  test('random bytes with a valid type and length decode or fail cleanly', () => {
    for (let round = 0; round < 5_000; round++) {
      const body = Buffer.alloc(rand(200));
      for (let i = 0; i < body.length; i++) body[i] = rand(256);
      const raw = Buffer.concat([hex(`0${1 + rand(7)} 00`), Buffer.alloc(4), body]);
      raw.writeUInt32BE(body.length, 2);
      decodePdu(raw);
    }
  });
});

describe('code tables', () => {
  test('describeReject', () => {
    assert.equal(describeReject(1, 1, 7), 'rejected-permanent, source DICOM UL service-user, reason called-AE-title-not-recognized (1/1/7)');
    assert.equal(
      describeReject(2, 3, 2),
      'rejected-transient, source DICOM UL service-provider (Presentation related function), reason local-limit-exceeded (2/3/2)',
    );
    assert.equal(describeReject(2, 2, 2), 'rejected-transient, source DICOM UL service-provider (ACSE related function), reason protocol-version-not-supported (2/2/2)');
    assert.equal(describeReject(1, 1, 5), 'rejected-permanent, source DICOM UL service-user, reason reserved (5) (1/1/5)');
    assert.equal(describeReject(9, 9, 9), 'unknown result (9), source unknown (9), reason reserved (9) (9/9/9)');
  });

  test('describeAbort', () => {
    assert.equal(describeAbort(2, 1), 'DICOM UL service-provider (initiated abort), reason unrecognized-PDU (2/1)');
    assert.equal(describeAbort(2, 6), 'DICOM UL service-provider (initiated abort), reason invalid-PDU-parameter-value (2/6)');
    assert.equal(describeAbort(0, 0), 'DICOM UL service-user (initiated abort), reason not significant (0/0)');
    assert.equal(describeAbort(2, 9), 'DICOM UL service-provider (initiated abort), reason reserved (9) (2/9)');
  });

  test('itemTypeName', () => {
    assert.equal(itemTypeName(0x54), 'SCP/SCU role selection sub-item');
    assert.equal(itemTypeName(0xee), 'item 0xEE');
  });
});
