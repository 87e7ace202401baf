// Round trips on PDUs captured from real peers (test/fixtures/ul/captured.ts): DCMTK 3.6.7 echoscu,
// storescu (120 storage contexts), getscu (role selection items), storescp's A-ASSOCIATE-AC, and
// Orthanc 1.10.1's A-ASSOCIATE-RQ (C-ECHO from its REST API) and AC. Captured on 127.0.0.1 by a
// listener that recorded the first PDU each peer sent; each must decode and re-encode to the same
// bytes, which is what lets the relay rewrite AE titles without disturbing anything else. The one
// exception is reserved bytes: DCMTK and Orthanc (which uses DCMTK) send 0xFF in a reserved byte of
// each presentation context item of an RQ; PS3.8 Table 9-13 says "sent 00H, not tested", and we
// send 00H.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePdu, encodePdu } from '../../src/ul/codec.ts';
import * as captured from '../fixtures/ul/captured.ts';

/** The captured bytes with the reserved bytes of presentation context items (0x20) set to 00H. */
function reservedZeroed(pdu: Buffer): Buffer {
  const b = Buffer.from(pdu);
  if (b[0] !== 0x01) return b;
  for (let at = 74; at + 4 <= b.length; at += 4 + b.readUInt16BE(at + 2)) {
    if (b[at] === 0x20) b[at + 5] = b[at + 6] = b[at + 7] = 0;
  }
  return b;
}

for (const [name, bytes] of Object.entries(captured)) {
  test(`${name}: decodes and re-encodes byte for byte (reserved bytes as 00H)`, () => {
    const r = decodePdu(bytes);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(encodePdu(r.value), reservedZeroed(bytes));
  });
}

test('the captured RQs carry what the relay relies on', () => {
  const echo = decodePdu(captured.echoscuRq);
  assert.ok(echo.ok && echo.value.type === 'A-ASSOCIATE-RQ');
  assert.equal(echo.value.calledAeTitle, 'ANY-SCP');
  assert.equal(echo.value.callingAeTitle, 'ECHOSCU');
  assert.equal(echo.value.userInformation.maxLength, 16384);
  const store = decodePdu(captured.storescuRq);
  assert.ok(store.ok && store.value.type === 'A-ASSOCIATE-RQ');
  assert.ok(store.value.presentationContexts.length > 100, `${store.value.presentationContexts.length} contexts`);
  const get = decodePdu(captured.getscuRq);
  assert.ok(get.ok && get.value.type === 'A-ASSOCIATE-RQ');
  assert.ok(get.value.userInformation.roleSelections.length > 100);
  assert.ok(get.value.userInformation.roleSelections.every((r) => r.scpRole === 1));
  const orthanc = decodePdu(captured.orthancEchoRq);
  assert.ok(orthanc.ok && orthanc.value.type === 'A-ASSOCIATE-RQ');
  assert.equal(orthanc.value.callingAeTitle, 'ORTHANC');
  const ac = decodePdu(captured.orthancAc);
  assert.ok(ac.ok && ac.value.type === 'A-ASSOCIATE-AC');
  assert.equal(ac.value.presentationContexts[0]?.result, 0);
});
