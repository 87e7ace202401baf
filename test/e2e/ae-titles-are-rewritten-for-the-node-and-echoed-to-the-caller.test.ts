// AE titles through the relay: the node receives Called = node.aeTitle and Calling =
// node.callingAeTitle when configured (else the caller's names), and the caller's A-ASSOCIATE-AC
// carries its own RQ bytes 10..73 verbatim, whatever the node put there (PS3.8 Table 9-17).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { PDU, rawConnect, rqBytes, startRawScp, type RawPeer, type RawScp } from '../helpers/raw-peer.ts';

let renamed: RawScp;
let plain: RawScp;
let gw: RunningGateway;
const peers: RawPeer[] = [];

before(async () => {
  // This node answers with AE title fields of its own (swapped and padded oddly), as some do.
  const odd = Buffer.alloc(64, 0x58);
  renamed = await startRawScp({ answer: () => ({ accept: { maxLength: 16384, echo: odd } }) });
  plain = await startRawScp();
  gw = await startE2eGateway({
    nodes: {
      SCU: { port: 104 },
      ARCHIVE: { port: renamed.port, aeTitle: 'REAL_ARCHIVE', callingAeTitle: 'GW_CALLING' },
      PLAIN: { port: plain.port },
    },
    rules: [{ from: ['SCU'], to: ['ARCHIVE', 'PLAIN'] }],
  });
});

after(async () => {
  for (const p of peers) p.destroy();
  await gw?.stop();
  await Promise.all([renamed?.stop(), plain?.stop()]);
});

/** An RQ whose bytes 10..73 are unusual but valid: leading spaces in the titles, non-zero reserved bytes. */
function oddRq(called: string): Buffer {
  const rq = rqBytes({ called, calling: 'SCU' });
  rq.write(`  ${called}`.padEnd(16, ' '), 10, 'latin1');
  rq.write(' SCU'.padEnd(16, ' '), 26, 'latin1');
  for (let i = 42; i < 74; i++) rq[i] = i; // reserved: sent 0 normally, never tested
  return rq;
}

async function associateRaw(rq: Buffer): Promise<{ peer: RawPeer; ac: Buffer }> {
  const peer = await rawConnect(gw.port('lan'));
  peers.push(peer);
  await peer.send(rq);
  const ac = await peer.waitPdu((p) => p[0] !== PDU.PDATA, 5000, 'answer');
  assert.equal(ac[0], PDU.AC, 'accepted');
  return { peer, ac };
}

test('node with aeTitle and callingAeTitle: the node sees those, the caller gets its own bytes 10..73 back', async () => {
  const rq = oddRq('ARCHIVE');
  const { peer, ac } = await associateRaw(rq);
  const seen = renamed.requests[renamed.requests.length - 1]!.raw;
  assert.equal(seen.toString('latin1', 10, 26), 'REAL_ARCHIVE    ', 'Called AE written to the node');
  assert.equal(seen.toString('latin1', 26, 42), 'GW_CALLING      ', 'Calling AE written to the node');
  assert.deepEqual(ac.subarray(10, 74), rq.subarray(10, 74), 'AC bytes 10..73 equal the RQ');
  peer.destroy();
});

test("node without aeTitle/callingAeTitle: the node sees the node name and the caller's own Calling AE", async () => {
  const rq = oddRq('PLAIN');
  const { peer, ac } = await associateRaw(rq);
  const seen = plain.requests[plain.requests.length - 1]!.raw;
  assert.equal(seen.toString('latin1', 10, 26), 'PLAIN           ');
  assert.equal(seen.toString('latin1', 26, 42), 'SCU             ');
  assert.deepEqual(ac.subarray(10, 74), rq.subarray(10, 74));
  peer.destroy();
});

test("the gateway's own AE answers with the caller's bytes 10..73 too", async () => {
  const rq = oddRq('GATEWAY');
  const { peer, ac } = await associateRaw(rq);
  assert.deepEqual(ac.subarray(10, 74), rq.subarray(10, 74));
  peer.destroy();
});
