// dicom-facts 2.8 step 7: a bridged C-GET caller's A-ABORT aborts the C-MOVE association to the
// archive; any sub-operation the archive still sends is answered with a failure, never success
// (CONTRACT: "never answers a C-STORE with success that the node did not answer with success"),
// and the gateway goes on serving the next caller.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { SECONDARY_CAPTURE, STUDY_ROOT_GET, countsOf, makeStudy, startFakeArchive, studyIdentifier, type FakeArchive } from '../helpers/fake-archive.ts';
import { EXPLICIT_LE, IMPLICIT_LE, associate, cGet, cGetRq, natYaml, type Caller } from '../helpers/nat-peers.ts';
import { until } from '../helpers/raw-peer.ts';
import { toPData } from '../../src/dimse/fragment.ts';
import { encodePdu } from '../../src/ul/codec.ts';

const STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.80.1', [15_000, 15_000, 15_000, 15_000, 15_000], 71);

let archive: FakeArchive;
let gw: RunningGateway;

const getter = (): Promise<Caller> =>
  associate(
    gw.port('lan'),
    'GETSCU',
    'PACS',
    [
      { id: 1, abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] },
    ],
    [{ sopClassUid: SECONDARY_CAPTURE, scuRole: 0, scpRole: 1 }],
  );

before(async () => {
  archive = await startFakeArchive({ studies: [STUDY], storeDelayMs: 80 });
  gw = await startGateway(
    await natYaml({
      nodes: { GETSCU: { port: 104 }, PACS: { port: archive.port, bridgeGetToMove: true } },
      rules: [{ from: ['GETSCU'], to: ['PACS'] }],
    }),
  );
  archive.aeTable.set('GATEWAY', gw.port('lan'));
});

after(async () => {
  await gw?.stop();
  await archive?.stop();
});

test('the caller aborts after the first sub-operation: nothing after it counts as success, and the next C-GET works', async () => {
  const c = await getter();
  for (const p of toPData(1, cGetRq(5), true, c.sendMax)) await c.peer.send(p);
  for (const p of toPData(1, studyIdentifier(STUDY[0]!.studyUid), false, c.sendMax)) await c.peer.send(p);
  // Receive the first C-STORE sub-operation but never answer it: abort instead.
  const first = await c.peer.nextMessage(5000);
  assert.equal(first.dataSha256, STUDY[0]!.sha256);
  await c.peer.send(encodePdu({ type: 'A-ABORT', source: 0, reason: 0 }));
  c.peer.destroy();

  // The archive learns of it: its move association is aborted and its run ends.
  await until(() => archive.subOps.length >= 1, 5000, 'the first sub-operation answered');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(
    archive.subOps.every((s) => s.status !== 0),
    `no sub-operation of the aborted C-GET reported success: ${archive.subOps.map((s) => s.status.toString(16))}`,
  );
  assert.ok(archive.subOps.length < STUDY.length, 'the archive stopped early');

  const again = await getter();
  const out = await cGet(again, 6, STUDY[0]!.studyUid);
  assert.deepEqual(countsOf(out.responses.at(-1)!.command), { status: 0, remaining: undefined, completed: STUDY.length, failed: 0, warning: 0 });
  assert.deepEqual(
    out.stores.map((m) => m.dataSha256),
    STUDY.map((i) => i.sha256),
  );
  again.peer.destroy();
});
