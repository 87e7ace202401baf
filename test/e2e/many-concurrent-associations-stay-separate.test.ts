// Many callers at once: 40 associations, each storing several data sets, interleaved on the wire.
// Every data set reaches the node byte for byte under its own SOP Instance UID, no association sees
// another's traffic, and the gateway's books balance afterwards (active gauge back to 0, accepted
// count, bytes to the node at least the data sent).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway, metricValue, sleep } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { EXPLICIT_LE, PDU, SECONDARY_CAPTURE, cStoreRq, makeDataSet, rawAssociate, sha256, startRawScp, type RawScp } from '../helpers/raw-peer.ts';
import { affectedSopInstanceUid, status } from '../../src/dimse/command-set.ts';

const CALLERS = 40;
const PER_CALLER = 5;
let scp: RawScp;
let gw: RunningGateway;

before(async () => {
  scp = await startRawScp({ answer: () => ({ accept: { maxLength: 16384 } }) });
  gw = await startE2eGateway({ nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port } }, rules: [{ from: ['SCU'], to: ['ARCHIVE'] }] });
});

after(async () => {
  await gw?.stop();
  await scp?.stop();
});

test(`${CALLERS} concurrent associations x ${PER_CALLER} C-STOREs: each data set byte-exact, books balance`, async () => {
  const sent = new Map<string, string>(); // SOP Instance UID -> SHA-256
  let bytes = 0;
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      const { peer, ac, answer } = await rawAssociate(gw.port('lan'), {
        called: 'ARCHIVE',
        calling: 'SCU',
        contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
        maxLength: 16384,
      });
      assert.equal(answer[0], PDU.AC, `caller ${c} accepted`);
      const max = ac!.userInformation.maxLength ?? 0;
      for (let i = 0; i < PER_CALLER; i++) {
        const uid = `1.2.826.0.1.3680043.9.7433.90.${c + 1}.${i + 1}`;
        const ds = makeDataSet(20_000 + c * 997 + i * 131, uid, c * 100 + i);
        sent.set(uid, sha256(ds));
        bytes += ds.length;
        await peer.sendCommand(1, cStoreRq(i + 1, SECONDARY_CAPTURE, uid), max);
        await peer.sendData(1, ds, max);
        const rsp = await peer.nextMessage(20_000);
        assert.equal(status(rsp.command), 0x0000);
        assert.equal(affectedSopInstanceUid(rsp.command), uid, 'each caller gets the answer to its own request');
      }
      await peer.send(Buffer.from([PDU.RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
      await peer.waitType(PDU.RELEASE_RP);
      await peer.close();
    }),
  );
  const got = new Map(scp.received.map((m) => [affectedSopInstanceUid(m.command)!, m.dataSha256]));
  assert.equal(got.size, CALLERS * PER_CALLER);
  for (const [uid, sha] of sent) assert.equal(got.get(uid), sha, uid);
  await sleep(200);
  assert.equal(await metricValue(gw, 'dicom_gateway_associations_active', { listener: 'lan' }), 0);
  assert.equal(await metricValue(gw, 'dicom_gateway_associations_total', { listener: 'lan', outcome: 'accepted' }), CALLERS);
  assert.ok((await metricValue(gw, 'dicom_gateway_bytes_total', { direction: 'to-node' })) >= bytes);
  assert.equal(await metricValue(gw, 'dicom_gateway_dimse_requests_total', { command: 'C-STORE', node: 'ARCHIVE' }), CALLERS * PER_CALLER);
});
