// C-FIND relayed: a dcmjs-dimse SCU queries through the gateway; the dcmjs-dimse SCP's pending
// responses (each with its identifier) and the final success all reach the SCU, in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDimseScp, dimseFind, type DimseScp } from '../helpers/dimse-peers.ts';
import { startE2eGateway, metricValue } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';

let scp: DimseScp;
let gw: RunningGateway;

before(async () => {
  scp = await startDimseScp({ findMatches: 4 });
  gw = await startE2eGateway({
    nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port } },
    rules: [{ from: ['SCU'], to: ['ARCHIVE'], services: ['C-ECHO', 'C-FIND'] }],
  });
});

after(async () => {
  await gw?.stop();
  await scp?.stop();
});

test('four pending C-FIND responses and the final success arrive at the SCU', async () => {
  const r = await dimseFind(gw.port('lan'), 'SCU', 'ARCHIVE', { PatientID: 'P*', PatientName: '', StudyInstanceUID: '' });
  assert.deepEqual(r.errors, []);
  assert.equal(r.rejected, false);
  assert.deepEqual(r.statuses, [0xff00, 0xff00, 0xff00, 0xff00, 0x0000]);
  assert.deepEqual(
    r.datasets.map((d) => d.PatientID),
    ['P0', 'P1', 'P2', 'P3'],
  );
  assert.equal(scp.finds.length, 1);
  assert.equal(scp.finds[0]!.PatientID, 'P*', 'the query identifier reached the node');
  assert.equal(await metricValue(gw, 'dicom_gateway_dimse_requests_total', { command: 'C-FIND', node: 'ARCHIVE' }), 1);
});
