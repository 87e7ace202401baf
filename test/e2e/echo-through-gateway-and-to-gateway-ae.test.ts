// C-ECHO from a dcmjs-dimse SCU through the gateway to a dcmjs-dimse SCP, and to the gateway's own
// AE title (answered by the gateway itself, CONTRACT "Association handling").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDimseScp, dimseEcho, type DimseScp } from '../helpers/dimse-peers.ts';
import { startE2eGateway, metricValue, auditOf } from '../helpers/e2e.ts';
import type { RunningGateway } from '../helpers/gateway.ts';

let scp: DimseScp;
let gw: RunningGateway;

before(async () => {
  scp = await startDimseScp();
  gw = await startE2eGateway({
    nodes: { SCU: { port: 104 }, ARCHIVE: { port: scp.port } },
    rules: [{ from: ['SCU'], to: ['ARCHIVE'] }],
  });
});

after(async () => {
  await gw?.stop();
  await scp?.stop();
});

test('C-ECHO is relayed to the node and answered with success', async () => {
  const r = await dimseEcho(gw.port('lan'), 'SCU', 'ARCHIVE');
  assert.deepEqual(r.errors, []);
  assert.equal(r.rejected, false);
  assert.deepEqual(r.statuses, [0x0000]);
  assert.equal(scp.echoes, 1, 'the SCP answered the echo itself');
  assert.equal(scp.associations.length, 1);
  assert.equal(scp.associations[0]!.calledAe, 'ARCHIVE');
  assert.equal(scp.associations[0]!.callingAe, 'SCU');
  assert.equal(await metricValue(gw, 'dicom_gateway_dimse_requests_total', { command: 'C-ECHO', node: 'ARCHIVE' }), 1);
  assert.equal(await metricValue(gw, 'dicom_gateway_associations_total', { listener: 'lan', outcome: 'accepted' }), 1);
  const released = await auditOf(gw, 'association-released');
  assert.equal(released.length, 1);
  assert.equal(released[0]!.node, 'ARCHIVE');
});

test("C-ECHO to the gateway's own AE title is answered by the gateway", async () => {
  const before = scp.echoes;
  const r = await dimseEcho(gw.port('lan'), 'SCU', 'GATEWAY');
  assert.deepEqual(r.errors, []);
  assert.equal(r.rejected, false);
  assert.deepEqual(r.statuses, [0x0000]);
  assert.equal(scp.echoes, before, 'the node was not involved');
  assert.equal(scp.associations.length, 1);
  assert.equal(await metricValue(gw, 'dicom_gateway_dimse_requests_total', { command: 'C-ECHO', node: 'GATEWAY' }), 1);
});
