// The streaming path's 12-byte P-DATA-TF + PDV header equals the general encoder's bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePDataHeader, encodePdvHeader, encodePDataTf, encodeSinglePdvHeaders } from '../../src/ul/pdu/pdata.ts';

test('encodeSinglePdvHeaders matches the P-DATA-TF encoder for one PDV', () => {
  for (const [len, pc, cmd, last] of [
    [0, 1, false, true],
    [16372, 3, false, false],
    [0xfffffff0, 255, false, true],
    [56, 1, true, true],
  ] as const) {
    const h = encodeSinglePdvHeaders(len, pc, cmd, last);
    assert.deepEqual(h, Buffer.concat([encodePDataHeader(len + 6), encodePdvHeader(len, pc, cmd, last)]));
  }
  const data = Buffer.from([1, 2, 3, 4]);
  const whole = encodePDataTf([{ presentationContextId: 5, isCommand: false, isLast: true, data }]);
  assert.deepEqual(Buffer.concat([encodeSinglePdvHeaders(4, 5, false, true), data]), whole);
});
