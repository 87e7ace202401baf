// limits.maxPduLength: the gateway lowers both sides' Maximum Length (0x51) to the cap, 0 meaning
// "unlimited" is lowered too, and neither side then receives a P-DATA-TF over it; data sets still
// arrive byte for byte (PS3.8 D.1: a relay may only lower these values).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { EXPLICIT_LE, PDU, SECONDARY_CAPTURE, cStoreRq, makeDataSet, rawAssociate, sha256, startRawScp, type RawScp } from '../helpers/raw-peer.ts';
import { status } from '../../src/dimse/command-set.ts';

const CAP = 8192;
let scp: RawScp;
let gw: RunningGateway;

before(async () => {
  // The node advertises "unlimited": the caller must still be told the cap.
  scp = await startRawScp({ answer: () => ({ accept: { maxLength: 0 } }) });
  gw = await startE2eGateway({
    nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port } },
    rules: [{ from: ['SCU'], to: ['ARCHIVE'] }],
    limits: { maxPduLength: CAP },
  });
});

after(async () => {
  await gw?.stop();
  await scp?.stop();
});

const largestPData = (pdus: Buffer[]) => Math.max(0, ...pdus.filter((p) => p[0] === PDU.PDATA).map((p) => p.readUInt32BE(2)));

test(`Maximum Length 0 on both sides becomes ${CAP}; no PDU over it either way; byte-exact`, async () => {
  const { peer, ac, answer } = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
    maxLength: 0,
  });
  assert.equal(answer[0], PDU.AC);
  assert.equal(ac!.userInformation.maxLength, CAP, 'the caller is told the cap, not the node\'s 0');
  assert.equal(scp.requests.at(-1)!.rq.userInformation.maxLength, CAP, 'the node is told the cap, not the caller\'s 0');
  const ds = makeDataSet(300_000, '1.2.826.0.1.3680043.9.7433.cap.1', 1);
  await peer.sendCommand(1, cStoreRq(1, SECONDARY_CAPTURE, '1.2.826.0.1.3680043.9.7433.cap.1'), CAP);
  await peer.sendData(1, ds, CAP);
  assert.equal(status((await peer.nextMessage(10000)).command), 0x0000);
  const got = scp.received.at(-1)!;
  assert.equal(got.dataSha256, sha256(ds));
  assert.ok(largestPData(scp.connections.at(-1)!.received) <= CAP, 'the node received no PDU over the cap');
  assert.ok(largestPData(peer.received) <= CAP, 'the caller received no PDU over the cap');
  await peer.close();
});
