// The streaming framer: same events whatever the chunking, bounded memory for any P-DATA length,
// limits checked on the header, errors once and final, re-entrancy and throwing handlers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PduFramer } from '../../src/ul/framer.ts';
import type { FramerError, FramerHandler, FramerOptions } from '../../src/ul/framer.ts';
import { decodePdu } from '../../src/ul/codec.ts';
import { encodePDataHeader, encodePdvHeader } from '../../src/ul/pdu/pdata.ts';
import { hex, pdu, pdv } from '../fixtures/ul/bytes.ts';
import * as F from '../fixtures/ul/associate.ts';
import * as S from '../fixtures/ul/short-pdus.ts';

type Event =
  | ['pdu', number, string]
  | ['pdata-start', number]
  | ['pdv-start', number, number, boolean, boolean]
  | ['pdv-data', string]
  | ['pdv-end']
  | ['pdata-end']
  | ['error', string, string];

/** Records events; consecutive onPdvData slices are merged so chunking does not show. */
function recorder(extra: Partial<FramerHandler> = {}): { handler: FramerHandler; events: Event[]; errors: FramerError[] } {
  const events: Event[] = [];
  const errors: FramerError[] = [];
  const handler: FramerHandler = {
    onPdu: (type, raw) => {
      events.push(['pdu', type, raw.toString('hex')]);
      extra.onPdu?.(type, raw);
    },
    onPDataStart: (n) => events.push(['pdata-start', n]),
    onPdvStart: (len, id, cmd, last) => events.push(['pdv-start', len, id, cmd, last]),
    onPdvData: (chunk) => {
      assert.ok(chunk.length > 0, 'empty onPdvData');
      const prev = events.at(-1);
      if (prev?.[0] === 'pdv-data') prev[1] += chunk.toString('hex');
      else events.push(['pdv-data', chunk.toString('hex')]);
      extra.onPdvData?.(chunk);
    },
    onPdvEnd: () => events.push(['pdv-end']),
    onPDataEnd: () => events.push(['pdata-end']),
    onError: (e) => {
      errors.push(e);
      events.push(['error', e.kind, e.message]);
    },
  };
  return { handler, events, errors };
}

function frame(chunks: Buffer[], opts?: FramerOptions): Event[] {
  const r = recorder();
  const framer = new PduFramer(r.handler, opts);
  for (const c of chunks) framer.push(c);
  return r.events;
}

const commandAndData = pdu(0x04, pdv(3, 0x03, hex('0800 0000')), pdv(3, 0x02, hex('1000 2000 3000')));
const stream = Buffer.concat([F.echoscuRq, S.echoRqPDataFull, S.twoFragments, commandAndData, S.releaseRq, S.abortUser]);

describe('framer: chunking does not change the events', () => {
  const reference = frame([stream]);

  test('the whole stream in one chunk gives the expected events', () => {
    assert.deepEqual(reference, [
      ['pdu', 0x01, F.echoscuRq.toString('hex')],
      ['pdata-start', 74],
      ['pdv-start', 68, 1, true, true],
      ['pdv-data', S.echoCommand.toString('hex')],
      ['pdv-end'],
      ['pdata-end'],
      ['pdata-start', S.twoFragments.length - 6],
      ['pdv-start', 10, 5, false, false],
      ['pdv-data', Buffer.from('fragment-1').toString('hex')],
      ['pdv-end'],
      ['pdv-start', 0, 5, false, false],
      ['pdv-end'],
      ['pdv-start', 10, 5, false, true],
      ['pdv-data', Buffer.from('fragment-2').toString('hex')],
      ['pdv-end'],
      ['pdata-end'],
      ['pdata-start', 22],
      ['pdv-start', 4, 3, true, true],
      ['pdv-data', '08000000'],
      ['pdv-end'],
      ['pdv-start', 6, 3, false, true],
      ['pdv-data', '100020003000'],
      ['pdv-end'],
      ['pdata-end'],
      ['pdu', 0x05, S.releaseRq.toString('hex')],
      ['pdu', 0x07, S.abortUser.toString('hex')],
    ]);
  });

  test('split at every offset', () => {
    for (let i = 1; i < stream.length; i++) {
      assert.deepEqual(frame([stream.subarray(0, i), stream.subarray(i)]), reference, `split at ${i}`);
    }
  });

  test('one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(frame(bytes), reference);
  });

  test('random three-way splits', () => {
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let round = 0; round < 300; round++) {
      const [a, b] = [rand(stream.length), rand(stream.length)].sort((x, y) => x - y) as [number, number];
      assert.deepEqual(frame([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]), reference, `split at ${a}, ${b}`);
    }
  });

  test('control PDUs framed from pieces decode like the original', () => {
    const raws: Buffer[] = [];
    const r = recorder({ onPdu: (_t, raw) => raws.push(Buffer.from(raw)) });
    const framer = new PduFramer(r.handler);
    for (let i = 0; i < F.getscuRq.length; i += 1000) framer.push(F.getscuRq.subarray(i, i + 1000));
    assert.equal(raws.length, 1);
    assert.deepStrictEqual(decodePdu(raws[0]!), decodePdu(F.getscuRq));
  });

  test('a control PDU inside one chunk is handed out without a copy', () => {
    let seen: Buffer | undefined;
    const r = recorder({ onPdu: (_t, raw) => (seen = raw) });
    const chunk = Buffer.concat([S.releaseRq, S.releaseRp]);
    new PduFramer(r.handler).push(chunk);
    assert.equal(seen?.buffer, chunk.buffer);
    assert.equal(seen?.byteOffset, chunk.byteOffset + 10);
  });
});

describe('framer: memory stays bounded', () => {
  test('a 50 MB P-DATA-TF in 64 KiB chunks streams with under 64 bytes buffered', () => {
    const pduLength = 50 * 1024 * 1024;
    const fragmentLength = pduLength - 6;
    const block = Buffer.alloc(64 * 1024, 0x5a);
    const chunks: Buffer[] = [Buffer.concat([encodePDataHeader(pduLength), encodePdvHeader(fragmentLength, 1, false, true), block.subarray(12)])];
    let left = 6 + pduLength - chunks[0]!.length;
    while (left > 0) {
      const n = Math.min(left, block.length);
      chunks.push(n === block.length ? block : block.subarray(0, n));
      left -= n;
    }
    chunks.push(S.releaseRq);

    let dataBytes = 0;
    let zeroCopy = true;
    let current: Buffer | undefined;
    const r = recorder();
    const handler: FramerHandler = {
      ...r.handler,
      onPdvData: (slice) => {
        dataBytes += slice.length;
        if (slice.buffer !== current?.buffer) zeroCopy = false;
      },
    };
    const framer = new PduFramer(handler, { maxPDataLength: 0 });
    let maxBuffered = 0;
    for (const c of chunks) {
      current = c;
      framer.push(c);
      maxBuffered = Math.max(maxBuffered, framer.bytesBuffered);
    }
    assert.equal(dataBytes, fragmentLength);
    assert.ok(maxBuffered < 64, `buffered ${maxBuffered}`);
    assert.ok(zeroCopy, 'onPdvData should hand out subarrays of the input');
    assert.deepEqual(r.events, [
      ['pdata-start', pduLength],
      ['pdv-start', fragmentLength, 1, false, true],
      ['pdv-end'],
      ['pdata-end'],
      ['pdu', 0x05, S.releaseRq.toString('hex')],
    ]);
    assert.equal(framer.atPduBoundary, true);
  });

  test('a P-DATA-TF header announcing 4 GB streams without buffering', () => {
    const r = recorder();
    const framer = new PduFramer(r.handler);
    framer.push(Buffer.concat([encodePDataHeader(0xffffffff), encodePdvHeader(0xffffffff - 6, 1, false, true)]));
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 8; i++) framer.push(block);
    assert.equal(framer.failed, false);
    assert.equal(framer.bytesBuffered, 0);
    assert.equal(framer.atPduBoundary, false);
  });

  test('a partial header is all that is buffered between chunks', () => {
    const r = recorder();
    const framer = new PduFramer(r.handler);
    framer.push(S.echoRqPDataFull.subarray(0, 3));
    assert.equal(framer.bytesBuffered, 3);
    assert.equal(framer.atPduBoundary, false);
    framer.push(S.echoRqPDataFull.subarray(3, 9)); // PDU header done, 3 bytes of PDV header
    assert.equal(framer.bytesBuffered, 3);
    framer.push(S.echoRqPDataFull.subarray(9));
    assert.equal(framer.bytesBuffered, 0);
    assert.equal(framer.atPduBoundary, true);
  });
});

describe('framer: limits and malformed input', () => {
  const expectError = (chunks: Buffer[], kind: string, message: string | RegExp, opts?: FramerOptions): Event[] => {
    const events = frame(chunks, opts);
    const last = events.at(-1);
    assert.equal(last?.[0], 'error', JSON.stringify(events));
    assert.equal(last[1], kind);
    if (typeof message === 'string') assert.equal(last[2], message);
    else assert.match(last[2], message);
    assert.equal(events.filter((e) => e[0] === 'error').length, 1);
    return events;
  };

  test('an oversize A-ASSOCIATE-RQ is refused on its header, before any body byte', () => {
    const r = recorder();
    const framer = new PduFramer(r.handler, { maxControlPduLength: 1024 });
    framer.push(hex('01 00 000007d0'));
    assert.deepEqual(r.events, [['error', 'pdu-too-large', 'A-ASSOCIATE-RQ: PDU length 2000 exceeds the limit of 1024 for non-P-DATA PDUs']]);
    assert.equal(framer.bytesBuffered, 0);
    assert.equal(framer.failed, true);
  });

  test('the default control PDU cap is 1 MiB', () => {
    assert.deepEqual(frame([hex('01 00 00100000')]), []);
    expectError([hex('02 00 00100001')], 'pdu-too-large', /A-ASSOCIATE-AC: PDU length 1048577 exceeds the limit of 1048576/);
  });

  test('A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT must have PDU length 4', () => {
    expectError([hex('03 00 00000005')], 'invalid-pdu-parameter-value', 'A-ASSOCIATE-RJ: PDU length 5, must be 4');
    expectError([hex('05 00 00000000')], 'invalid-pdu-parameter-value', 'A-RELEASE-RQ: PDU length 0, must be 4');
    expectError([hex('06 00 00010000')], 'invalid-pdu-parameter-value', 'A-RELEASE-RP: PDU length 65536, must be 4');
    expectError([hex('07 00 00000003')], 'invalid-pdu-parameter-value', 'A-ABORT: PDU length 3, must be 4');
  });

  test('P-DATA-TF over maxPDataLength is refused; exactly the maximum is accepted', () => {
    assert.deepEqual(frame([hex('04 00 00004000')], { maxPDataLength: 16384 }), [['pdata-start', 16384]]);
    expectError([hex('04 00 00004001')], 'pdu-too-large', 'P-DATA-TF: PDU length 16385 exceeds the maximum of 16384', { maxPDataLength: 16384 });
  });

  test('setMaxPDataLength from inside onPdu applies to the next PDU in the same chunk', () => {
    const r = recorder({ onPdu: () => framer.setMaxPDataLength(16) });
    const framer = new PduFramer(r.handler);
    framer.push(Buffer.concat([F.echoAc, S.echoRqPDataFull]));
    assert.deepEqual(r.events.slice(1), [['error', 'pdu-too-large', 'P-DATA-TF: PDU length 74 exceeds the maximum of 16']]);
  });

  test('P-DATA-TF too short to hold a PDV', () => {
    expectError([hex('04 00 00000005')], 'invalid-pdu-parameter-value', 'P-DATA-TF: PDU length 5, too short for a PDV item (at least 6)');
    expectError([hex('04 00 00000000')], 'invalid-pdu-parameter-value', /PDU length 0/);
  });

  test('PDV item length below 2 or past the PDU end (same messages as the codec)', () => {
    const bad1 = pdu(0x04, hex('00000001 01 03'));
    const bad2 = pdu(0x04, hex('00000010 01 03 aabb'));
    for (const bad of [bad1, bad2]) {
      const r = decodePdu(bad);
      assert.ok(!r.ok);
      expectError([bad], 'invalid-pdu-parameter-value', r.error.message);
    }
  });

  test('fewer bytes than a PDV header left in the PDU fail as soon as the PDV ends', () => {
    const bad = pdu(0x04, pdv(1, 3, hex('aabb')), hex('000000'));
    const r = recorder();
    const framer = new PduFramer(r.handler);
    framer.push(bad.subarray(0, 14)); // up to the end of the first PDV, not the 3 stray bytes
    assert.deepEqual(r.events.at(-1), ['error', 'invalid-pdu-parameter-value', 'P-DATA-TF: PDV item header at offset 14: only 3 byte(s) left before end of PDU (17)']);
  });

  test('an unknown PDU type fails on its first byte', () => {
    expectError([hex('47')], 'unrecognized-pdu', 'unknown PDU type 0x47');
    expectError([S.releaseRq, hex('16 03 01')], 'unrecognized-pdu', 'unknown PDU type 0x16');
  });

  test('garbage: an HTTP request; later pushes are ignored', () => {
    const r = recorder();
    const framer = new PduFramer(r.handler);
    framer.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    framer.push(S.releaseRq);
    assert.deepEqual(r.events, [['error', 'unrecognized-pdu', 'unknown PDU type 0x47']]);
    assert.equal(framer.failed, true);
  });

  test('random byte streams never throw, fail at most once, and say nothing after failing', () => {
    let seed = 99;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.alloc(1 + rand(300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = i % 7 === 0 ? 1 + rand(7) : rand(256);
      const r = recorder();
      const framer = new PduFramer(r.handler, { maxControlPduLength: 4096 });
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + rand(40);
        framer.push(bytes.subarray(at, at + n));
        at += n;
      }
      const errorAt = r.events.findIndex((e) => e[0] === 'error');
      if (errorAt >= 0) assert.equal(errorAt, r.events.length - 1);
    }
  });
});

describe('framer: re-entrancy and throwing handlers', () => {
  test('push() from inside a handler is framed after the current chunk, in order', () => {
    const reference = frame([stream]);
    const cut = F.echoscuRq.length + 20;
    let pushed = false;
    const r = recorder({
      onPdu: () => {
        if (pushed) return;
        pushed = true;
        framer.push(stream.subarray(cut, cut + 50)); // queued behind the rest of the first chunk
        framer.push(stream.subarray(cut + 50));
        assert.ok(framer.bytesBuffered >= stream.length - cut);
      },
    });
    const framer = new PduFramer(r.handler);
    framer.push(stream.subarray(0, cut));
    assert.deepEqual(r.events, reference);
    assert.equal(framer.bytesBuffered, 0);
  });

  test('a handler that throws fails the framer with the exception attached', () => {
    const boom = new Error('downstream closed');
    const r = recorder({
      onPdvData: () => {
        throw boom;
      },
    });
    const framer = new PduFramer(r.handler);
    framer.push(Buffer.concat([S.echoRqPDataFull, S.releaseRq]));
    assert.equal(framer.failed, true);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.handlerError, boom);
    assert.equal(r.errors[0]!.message, 'handler onPdvData threw: downstream closed');
    assert.equal(r.events.some((e) => e[0] === 'pdv-end' || e[0] === 'pdu'), false);
    framer.push(S.releaseRq);
    assert.equal(r.errors.length, 1);
    assert.equal(framer.bytesBuffered, 0);
  });

  test('a handler may push from onError without effect', () => {
    const r = recorder();
    const framer = new PduFramer({ ...r.handler, onError: (e) => (r.handler.onError(e), framer.push(S.releaseRq)) });
    framer.push(hex('ff'));
    assert.deepEqual(r.events, [['error', 'unrecognized-pdu', 'unknown PDU type 0xFF']]);
  });
});
