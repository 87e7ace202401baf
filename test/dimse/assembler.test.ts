import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageAssembler } from '../../src/dimse/assembler.ts';
import type { AssemblerEvent } from '../../src/dimse/assembler.ts';
import { messageId } from '../../src/dimse/command-set.ts';
import { C_ECHO_RQ, C_MOVE_RQ, C_STORE_RQ_MOVE_ORIGINATOR } from './fixtures.ts';

const pdv = (presentationContextId: number, isCommand: boolean, isLast: boolean, data: Buffer) => ({ presentationContextId, isCommand, isLast, data });

function errorKind(e: AssemblerEvent | null): string | undefined {
  return e?.kind === 'error' ? e.error : undefined;
}

test('whole command in one PDV, no data set', () => {
  const a = new MessageAssembler();
  assert.equal(a.idle, true);
  const e = a.feed(pdv(1, true, true, C_ECHO_RQ));
  assert.ok(e && e.kind === 'command');
  assert.equal(e.pcId, 1);
  assert.deepEqual(e.bytes, C_ECHO_RQ);
  assert.equal(e.hasDataSet, false);
  assert.equal(messageId(e.command), 1);
  assert.equal(a.state, 'idle');
});

test('command split inside an element header, then a data set in 3 fragments (data not returned)', () => {
  const a = new MessageAssembler();
  assert.equal(a.feed(pdv(3, true, false, C_STORE_RQ_MOVE_ORIGINATOR.subarray(0, 14))), null);
  assert.equal(a.state, 'command');
  const e = a.feed(pdv(3, true, true, C_STORE_RQ_MOVE_ORIGINATOR.subarray(14)));
  assert.ok(e && e.kind === 'command' && e.hasDataSet);
  assert.deepEqual(e.bytes, C_STORE_RQ_MOVE_ORIGINATOR);
  assert.equal(a.state, 'awaiting-data');
  assert.equal(a.presentationContextId, 3);
  assert.equal(a.feed(pdv(3, false, false, Buffer.alloc(100))), null);
  assert.equal(a.state, 'data');
  assert.equal(a.feed(pdv(3, false, false, Buffer.alloc(100))), null);
  assert.deepEqual(a.feed(pdv(3, false, true, Buffer.alloc(10))), { kind: 'data-end', pcId: 3 });
  assert.equal(a.idle, true);
  // next message on another PC is fine
  assert.equal(a.feed(pdv(5, true, true, C_ECHO_RQ))?.kind, 'command');
});

test('chunk-wise: pdvStart / pdvData* / pdvEnd', () => {
  const a = new MessageAssembler();
  const bytes = C_MOVE_RQ;
  assert.equal(a.pdvStart(7, true, true, bytes.length), null);
  for (let i = 0; i < bytes.length; i += 5) assert.equal(a.pdvData(bytes.subarray(i, i + 5)), null);
  const e = a.pdvEnd();
  assert.ok(e && e.kind === 'command');
  assert.deepEqual(e.bytes, bytes);
  assert.equal(a.pdvStart(7, false, true, 4), null);
  assert.equal(a.pdvData(Buffer.alloc(2)), null);
  assert.equal(a.idle, false);
  assert.equal(a.pdvData(Buffer.alloc(2)), null);
  assert.deepEqual(a.pdvEnd(), { kind: 'data-end', pcId: 7 });
  assert.equal(a.idle, true);
});

test('error cases', async (t) => {
  const cases: [string, (a: MessageAssembler) => AssemblerEvent | null, string][] = [
    ['data with no command', (a) => a.feed(pdv(1, false, true, Buffer.alloc(2))), 'pdv-out-of-order'],
    [
      'data inside an unfinished command',
      (a) => a.feed(pdv(1, true, false, C_ECHO_RQ.subarray(0, 10))) ?? a.feed(pdv(1, false, true, Buffer.alloc(2))),
      'pdv-out-of-order',
    ],
    [
      'PC id changes inside a command',
      (a) => a.feed(pdv(1, true, false, C_ECHO_RQ.subarray(0, 10))) ?? a.feed(pdv(3, true, true, C_ECHO_RQ.subarray(10))),
      'pc-id-changed',
    ],
    [
      'PC id changes between command and data set',
      (a) => (a.feed(pdv(1, true, true, C_MOVE_RQ)), a.feed(pdv(3, false, true, Buffer.alloc(2)))),
      'pc-id-changed',
    ],
    [
      'new command while the announced data set is due',
      (a) => (a.feed(pdv(1, true, true, C_MOVE_RQ)), a.feed(pdv(1, true, true, C_ECHO_RQ))),
      'pdv-out-of-order',
    ],
    [
      'command interleaved into a data set',
      (a) => (a.feed(pdv(1, true, true, C_MOVE_RQ)), a.feed(pdv(1, false, false, Buffer.alloc(2))), a.feed(pdv(1, true, true, C_ECHO_RQ))),
      'pdv-out-of-order',
    ],
    [
      'data set after a 0x0101 command',
      (a) => (a.feed(pdv(1, true, true, C_ECHO_RQ)), a.feed(pdv(1, false, true, Buffer.alloc(2)))),
      'unexpected-data-set',
    ],
    ['command over the cap', (a) => a.feed(pdv(1, true, false, Buffer.alloc(65 * 1024))), 'command-too-large'],
    ['garbage command set', (a) => a.feed(pdv(1, true, true, Buffer.from([1, 2, 3, 4, 5, 6]))), 'invalid-command-set'],
    ['more bytes than announced', (a) => a.pdvStart(1, true, true, 2) ?? a.pdvData(Buffer.alloc(3)), 'pdv-length-mismatch'],
    ['fewer bytes than announced', (a) => a.pdvStart(1, true, true, 4) ?? a.pdvData(Buffer.alloc(3)) ?? a.pdvEnd(), 'pdv-length-mismatch'],
    ['pdvEnd without pdvStart', (a) => a.pdvEnd(), 'pdv-length-mismatch'],
  ];
  for (const [name, run, kind] of cases) {
    await t.test(name, () => {
      const a = new MessageAssembler();
      assert.equal(errorKind(run(a)), kind);
      assert.equal(a.state, 'failed');
      assert.equal(errorKind(a.feed(pdv(1, true, true, C_ECHO_RQ))), 'assembler-failed', 'stays failed');
    });
  }
});

test('cap is checked on the announced length and is configurable', () => {
  const a = new MessageAssembler({ maxCommandLength: 64 });
  assert.equal(errorKind(a.pdvStart(1, true, true, C_ECHO_RQ.length)), 'command-too-large');
  const b = new MessageAssembler({ maxCommandLength: C_ECHO_RQ.length });
  assert.equal(b.feed(pdv(1, true, true, C_ECHO_RQ))?.kind, 'command');
});

test('odd fragments rejected only when asked', () => {
  const lenient = new MessageAssembler();
  assert.equal(lenient.feed(pdv(1, true, true, C_MOVE_RQ))?.kind, 'command');
  assert.equal(lenient.feed(pdv(1, false, true, Buffer.alloc(3)))?.kind, 'data-end');
  const strict = new MessageAssembler({ rejectOddFragments: true });
  assert.equal(strict.feed(pdv(1, true, true, C_MOVE_RQ))?.kind, 'command');
  assert.equal(errorKind(strict.feed(pdv(1, false, true, Buffer.alloc(3)))), 'odd-fragment-length');
});
