// CONTRACT "C-MOVE across NAT": "Concurrent moves from several callers, with clashing Message IDs,
// must each reach their own destination." Two callers send C-MOVE with Message ID 1 at the same time
// through the same archive; the archive holds both moves until it has seen both, so both are pending
// at the gateway while the sub-operations run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { countsOf, makeStudy, startFakeArchive, type ArchiveInstance, type FakeArchive } from '../helpers/fake-archive.ts';
import { cMove, moveCaller, natYaml, startStorageScp, type Caller, type StorageScp } from '../helpers/nat-peers.ts';
import { until } from '../helpers/raw-peer.ts';
import { messageIdBeingRespondedTo } from '../../src/dimse/command-set.ts';

const STUDY_A = makeStudy('1.2.826.0.1.3680043.9.7433.20.1', [40_000, 3_000, 90_000], 11);
const STUDY_B = makeStudy('1.2.826.0.1.3680043.9.7433.20.2', [25_000, 60_000, 8_000, 17_000], 12);

let archive: FakeArchive;
let destA: StorageScp;
let destB: StorageScp;
let gw: RunningGateway;
let callerA: Caller;
let callerB: Caller;
let movesToWaitFor = 0;

before(async () => {
  archive = await startFakeArchive({
    studies: [STUDY_A, STUDY_B],
    // Start no sub-operations until every C-MOVE of the round has arrived: both are pending at once.
    beforeStores: () => until(() => archive.moves.length >= movesToWaitFor, 5000, 'both C-MOVEs at the archive'),
  });
  destA = await startStorageScp();
  destB = await startStorageScp();
  gw = await startGateway(
    await natYaml({
      nodes: {
        SCU_A: { port: 104 },
        SCU_B: { port: 104 },
        PACS: { port: archive.port, rewriteMoveDestination: true },
        DEST_A: { port: destA.port },
        DEST_B: { port: destB.port },
      },
      rules: [
        { from: ['SCU_A', 'SCU_B'], to: ['PACS'] },
        { from: ['PACS'], to: ['DEST_A', 'DEST_B'] },
      ],
    }),
  );
  archive.aeTable.set('GATEWAY', gw.port('lan'));
  callerA = await moveCaller(gw.port('lan'), 'SCU_A', 'PACS');
  callerB = await moveCaller(gw.port('lan'), 'SCU_B', 'PACS');
});

after(async () => {
  callerA?.peer.destroy();
  callerB?.peer.destroy();
  await gw?.stop();
  await archive?.stop();
  await destA?.stop();
  await destB?.stop();
});

function assertDone(rsps: Awaited<ReturnType<typeof cMove>>, n: number): void {
  for (const m of rsps) assert.equal(messageIdBeingRespondedTo(m.command), 1);
  assert.deepEqual(
    rsps.slice(0, -1).map((m) => countsOf(m.command)),
    Array.from({ length: n - 1 }, (_, i) => ({ status: 0xff00, remaining: n - i - 1, completed: i + 1, failed: 0, warning: 0 })),
  );
  assert.deepEqual(countsOf(rsps.at(-1)!.command), { status: 0, remaining: undefined, completed: n, failed: 0, warning: 0 });
}

function assertDelivered(dest: StorageScp, study: ArchiveInstance[], originator: string): void {
  for (const inst of study) {
    const d = dest.byUid(inst.sopInstanceUid);
    assert.ok(d, `${inst.sopInstanceUid} delivered`);
    assert.equal(d.sha256, inst.sha256);
    assert.equal(d.moveOriginatorAe, originator);
    assert.equal(d.moveOriginatorMessageId, 1);
  }
}

test('two callers, Message ID 1 each, two studies to two destinations at once: each destination gets only its own study', async () => {
  movesToWaitFor = 2;
  const [a, b] = await Promise.all([cMove(callerA, 1, 'DEST_A', STUDY_A[0]!.studyUid), cMove(callerB, 1, 'DEST_B', STUDY_B[0]!.studyUid)]);
  const ids = archive.moves.map((m) => m.messageId);
  assert.equal(new Set(ids).size, 2, `the archive saw two different Message IDs (${ids})`);
  assert.ok(archive.moves.every((m) => m.moveDestination === 'GATEWAY'));
  assertDone(a, STUDY_A.length);
  assertDone(b, STUDY_B.length);
  assert.equal(destA.delivered.length, STUDY_A.length, 'DEST_A got exactly study A');
  assert.equal(destB.delivered.length, STUDY_B.length, 'DEST_B got exactly study B');
  assertDelivered(destA, STUDY_A, 'SCU_A');
  assertDelivered(destB, STUDY_B, 'SCU_B');
  assert.ok(archive.subOps.every((s) => s.status === 0));
});

test('two concurrent moves to the same destination each complete with their own counts', async () => {
  const before = destA.delivered.length;
  movesToWaitFor = 4;
  const [a, b] = await Promise.all([cMove(callerA, 1, 'DEST_A', STUDY_B[0]!.studyUid), cMove(callerB, 1, 'DEST_A', STUDY_A[0]!.studyUid)]);
  assertDone(a, STUDY_B.length);
  assertDone(b, STUDY_A.length);
  const fresh = destA.delivered.slice(before);
  assert.equal(fresh.length, STUDY_A.length + STUDY_B.length);
  for (const inst of STUDY_B) {
    const d = fresh.find((x) => x.sopInstanceUid === inst.sopInstanceUid)!;
    assert.equal(d.sha256, inst.sha256);
    assert.equal(d.moveOriginatorAe, 'SCU_A', 'study B was asked for by SCU_A this time');
  }
  for (const inst of STUDY_A) {
    const d = fresh.find((x) => x.sopInstanceUid === inst.sopInstanceUid)!;
    assert.equal(d.sha256, inst.sha256);
    assert.equal(d.moveOriginatorAe, 'SCU_B');
  }
  assert.equal(destB.delivered.length, STUDY_B.length, 'nothing more went to DEST_B');
});
