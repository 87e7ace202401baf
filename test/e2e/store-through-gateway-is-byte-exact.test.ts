// C-STORE of 30 data sets (1 KB .. 8 MB, Explicit VR LE, random pixel data) through the gateway:
// the node receives every data set byte for byte (SHA-256 of the bytes sent vs the bytes the raw
// SCP reassembled from its data PDVs), also when one side advertises a tiny Maximum Length (4096)
// and the other 0 (unlimited).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2eGateway, metricValue } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import {
  EXPLICIT_LE,
  PDU,
  SECONDARY_CAPTURE,
  cStoreRq,
  makeDataSet,
  rspFor,
  rawAssociate,
  sha256,
  startRawScp,
  type RawScp,
} from '../helpers/raw-peer.ts';
import { status } from '../../src/dimse/command-set.ts';
import { encodePdu } from '../../src/ul/codec.ts';
import type { Pdv } from '../../src/ul/types.ts';

const KB = 1024;
const MB = 1024 * KB;

/** 30 sizes spread geometrically from 1 KB to 8 MB, odd ones nudged so lengths vary in parity. */
function sizes(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.round(KB * Math.pow((8 * MB) / KB, i / (n - 1))) + (i % 3));
  return out;
}

let scpMax = 16384;
let scp: RawScp;
let gw: RunningGateway;

before(async () => {
  scp = await startRawScp({ answer: () => ({ accept: { maxLength: scpMax } }) });
  gw = await startE2eGateway({ nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port } }, rules: [{ from: ['SCU'], to: ['ARCHIVE'] }] });
});

after(async () => {
  await gw?.stop();
  await scp?.stop();
});

/** Stores the data sets on one association; returns the SHA-256 and length of each as sent. */
async function storeAll(dataSetSizes: number[], callerMax: number, tag: string) {
  const seen = scp.received.length;
  const { peer, ac, answer } = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
    maxLength: callerMax,
  });
  assert.equal(answer[0], PDU.AC, 'association accepted');
  assert.equal(ac!.presentationContexts[0]!.result, 0);
  const sendMax = ac!.userInformation.maxLength ?? 0;
  const sent: { sha: string; length: number }[] = [];
  for (let i = 0; i < dataSetSizes.length; i++) {
    const uid = `1.2.826.0.1.3680043.9.7433.${tag}.${i + 1}`;
    const ds = makeDataSet(dataSetSizes[i]!, uid, i + 1);
    sent.push({ sha: sha256(ds), length: ds.length });
    await peer.sendCommand(1, cStoreRq(i + 1, SECONDARY_CAPTURE, uid), sendMax);
    await peer.sendData(1, ds, sendMax);
    const rsp = await peer.nextMessage(20000);
    assert.equal(status(rsp.command), 0x0000, `C-STORE ${i + 1} answered with success`);
  }
  await peer.send(Buffer.from([PDU.RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
  await peer.waitType(PDU.RELEASE_RP);
  await peer.close();
  const got = scp.received.slice(seen);
  assert.equal(got.length, dataSetSizes.length, 'every C-STORE-RQ reached the node');
  got.forEach((m, i) => {
    assert.equal(m.dataLength, sent[i]!.length, `data set ${i + 1}: length`);
    assert.equal(m.dataSha256, sent[i]!.sha, `data set ${i + 1}: SHA-256`);
  });
  return { peer, scpPeer: scp.connections[scp.connections.length - 1]! };
}

/** Largest P-DATA-TF PDU length (header excluded) in a list of received PDUs. */
const largestPData = (pdus: Buffer[]) => Math.max(0, ...pdus.filter((p) => p[0] === PDU.PDATA).map((p) => p.readUInt32BE(2)));

test('30 data sets of 1 KB .. 8 MB arrive byte for byte', async () => {
  const bytesBefore = await metricValue(gw, 'dicom_gateway_bytes_total', { direction: 'to-node' });
  const list = sizes(30);
  await storeAll(list, 16384, 'a');
  const total = list.reduce((a, b) => a + b, 0);
  assert.ok((await metricValue(gw, 'dicom_gateway_bytes_total', { direction: 'to-node' })) - bytesBefore >= total, 'bytes counted');
  assert.equal(await metricValue(gw, 'dicom_gateway_dimse_requests_total', { command: 'C-STORE', node: 'ARCHIVE' }), 30);
});

test('caller Maximum Length 4096, node 0 (unlimited): whole data sets in single PDUs reach the node intact', async () => {
  scpMax = 0;
  const { peer, scpPeer } = await storeAll([1000, 70 * KB, 3 * MB + 1, 8 * MB], 4096, 'b');
  // The node was told the caller's 4096 limit and the SCU got no PDU over it.
  assert.equal(scp.requests[scp.requests.length - 1]!.rq.userInformation.maxLength, 4096);
  assert.ok(largestPData(peer.received) <= 4096, 'responses respect the caller limit');
  assert.ok(largestPData(scpPeer.received) > 8 * MB - 100, 'the unlimited node got the 8 MB data set in one PDU');
});

test('caller Maximum Length 0 (unlimited), node 4096: PDUs to the node never exceed 4096', async () => {
  scpMax = 4096;
  const { scpPeer } = await storeAll([1000, 70 * KB, 3 * MB + 1, 8 * MB], 0, 'c');
  assert.equal(scp.requests[scp.requests.length - 1]!.rq.userInformation.maxLength, 0);
  assert.ok(largestPData(scpPeer.received) <= 4096, `largest PDU to the node ${largestPData(scpPeer.received)}`);
});

test('several PDVs per PDU, a command split inside element headers, command and data in one PDU: still byte for byte', async () => {
  scpMax = 16384;
  const seen = scp.received.length;
  const { peer, ac } = await rawAssociate(gw.port('lan'), {
    called: 'ARCHIVE',
    calling: 'SCU',
    contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
  });
  assert.equal(ac!.userInformation.maxLength, 16384);
  const pdv = (isCommand: boolean, isLast: boolean, data: Buffer): Pdv => ({ presentationContextId: 1, isCommand, isLast, data });
  const pieces = (b: Buffer, n: number) => Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, (i + 1) * n));
  // Message 1: command in 6-byte fragments (element headers are 8), spread over two PDUs; the
  // second PDU also carries the whole data set in two PDVs (PS3.8 E.1 allows all of this).
  const cmd1 = cStoreRq(1, SECONDARY_CAPTURE, '1.2.826.0.1.3680043.9.7433.d.1');
  const ds1 = makeDataSet(12000, '1.2.826.0.1.3680043.9.7433.d.1', 101);
  const c = pieces(cmd1, 6);
  const half = Math.floor(c.length / 2);
  await peer.send(encodePdu({ type: 'P-DATA-TF', pdvs: c.slice(0, half).map((f) => pdv(true, false, f)) }));
  await peer.send(
    encodePdu({
      type: 'P-DATA-TF',
      pdvs: [...c.slice(half).map((f, i) => pdv(true, half + i === c.length - 1, f)), pdv(false, false, ds1.subarray(0, 5000)), pdv(false, true, ds1.subarray(5000))],
    }),
  );
  assert.equal(status((await peer.nextMessage()).command), 0);
  // Message 2: command and first data fragment in one PDU, then two data PDVs per PDU.
  const cmd2 = cStoreRq(2, SECONDARY_CAPTURE, '1.2.826.0.1.3680043.9.7433.d.2');
  const ds2 = makeDataSet(40000, '1.2.826.0.1.3680043.9.7433.d.2', 102);
  const d = pieces(ds2, 4000);
  await peer.send(encodePdu({ type: 'P-DATA-TF', pdvs: [pdv(true, true, cmd2), pdv(false, false, d[0]!)] }));
  for (let i = 1; i < d.length; i += 2) {
    await peer.send(encodePdu({ type: 'P-DATA-TF', pdvs: d.slice(i, i + 2).map((f, j) => pdv(false, i + j === d.length - 1, f)) }));
  }
  assert.equal(status((await peer.nextMessage()).command), 0);
  peer.destroy();
  const got = scp.received.slice(seen);
  assert.equal(got.length, 2);
  assert.deepEqual(got[0]!.commandBytes, cmd1, 'command 1 bytes unchanged');
  assert.equal(got[0]!.dataSha256, sha256(ds1));
  assert.deepEqual(got[1]!.commandBytes, cmd2, 'command 2 bytes unchanged');
  assert.equal(got[1]!.dataSha256, sha256(ds2));
});

test('a failure status from the node reaches the caller unchanged (never turned into success)', async () => {
  const failing = await startRawScp({
    onRequest: (peer, m) => {
      void peer.sendCommand(m.pcId, rspFor(m.command, 0xa700), 16384);
      return true;
    },
  });
  const fgw = await startE2eGateway({ nodes: { SCU: { port: 104 }, FULL: { port: failing.port } }, rules: [{ from: ['SCU'], to: ['FULL'] }] });
  try {
    const { peer, ac } = await rawAssociate(fgw.port('lan'), {
      called: 'FULL',
      calling: 'SCU',
      contexts: [{ id: 1, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] }],
    });
    const max = ac!.userInformation.maxLength ?? 0;
    const uid = '1.2.826.0.1.3680043.9.7433.f.1';
    await peer.sendCommand(1, cStoreRq(1, SECONDARY_CAPTURE, uid), max);
    await peer.sendData(1, makeDataSet(100 * KB, uid, 7), max);
    assert.equal(status((await peer.nextMessage()).command), 0xa700, 'Out of Resources relayed');
    peer.destroy();
  } finally {
    await fgw.stop();
    await failing.stop();
  }
});
