// Move Originator AE title and Message ID are user-optional in a C-STORE sub-operation (dicom-facts
// 2.6). An archive that leaves them out can be routed only while exactly one rewritten C-MOVE from
// it is pending; with two pending the gateway cannot tell where an instance belongs, so it refuses
// each sub-operation (the archive sees the failure and reports it to its callers), delivers nothing
// anywhere, and logs why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { countsOf, makeStudy, startFakeArchive, type FakeArchive } from '../helpers/fake-archive.ts';
import { captureGatewayLog, cMove, moveCaller, natYaml, startStorageScp, type Caller, type StorageScp } from '../helpers/nat-peers.ts';
import { until } from '../helpers/raw-peer.ts';
import { messageIdBeingRespondedTo } from '../../src/dimse/command-set.ts';

const STUDY_A = makeStudy('1.2.826.0.1.3680043.9.7433.30.1', [30_000, 50_000], 21);
const STUDY_B = makeStudy('1.2.826.0.1.3680043.9.7433.30.2', [12_000, 7_000, 40_000], 22);

let archive: FakeArchive;
let destA: StorageScp;
let destB: StorageScp;
let gw: RunningGateway;
let callerA: Caller;
let callerB: Caller;
let movesToWaitFor = 0;
let subOpsToWaitFor = 0;
let log: ReturnType<typeof captureGatewayLog>;

before(async () => {
  archive = await startFakeArchive({
    studies: [STUDY_A, STUDY_B],
    originator: 'omit',
    beforeStores: () => until(() => archive.moves.length >= movesToWaitFor, 5000, 'the C-MOVEs at the archive'),
    // Both moves stay pending until every sub-operation of both was tried: otherwise the first
    // to finish leaves one pending move, and the other's last sub-operations are (rightly) routed.
    beforeFinal: () => until(() => archive.subOps.length >= subOpsToWaitFor, 5000, 'all sub-operations at the archive'),
  });
  destA = await startStorageScp();
  destB = await startStorageScp();
  log = captureGatewayLog();
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
    { logLevel: 'warn' },
  );
  archive.aeTable.set('GATEWAY', gw.port('lan'));
  callerA = await moveCaller(gw.port('lan'), 'SCU_A', 'PACS');
  callerB = await moveCaller(gw.port('lan'), 'SCU_B', 'PACS');
});

after(async () => {
  callerA?.peer.destroy();
  callerB?.peer.destroy();
  await gw?.stop();
  log?.restore();
  await archive?.stop();
  await destA?.stop();
  await destB?.stop();
});

test('one pending move from the archive: sub-operations without Move Originator are routed to it', async () => {
  movesToWaitFor = 1;
  const rsps = await cMove(callerA, 5, 'DEST_A', STUDY_A[0]!.studyUid);
  assert.deepEqual(countsOf(rsps.at(-1)!.command), { status: 0, remaining: undefined, completed: 2, failed: 0, warning: 0 });
  assert.equal(messageIdBeingRespondedTo(rsps.at(-1)!.command), 5);
  for (const inst of STUDY_A) {
    const d = destA.byUid(inst.sopInstanceUid);
    assert.ok(d);
    assert.equal(d.sha256, inst.sha256);
    // The gateway knows whose move it is, so the destination still learns the real originator.
    assert.equal(d.moveOriginatorAe, 'SCU_A');
    assert.equal(d.moveOriginatorMessageId, 5);
  }
});

test('two pending moves from the archive: every such sub-operation is refused (0x0124), nothing delivered, logged', async () => {
  const delivered = destA.delivered.length + destB.delivered.length;
  const subOpsBefore = archive.subOps.length;
  movesToWaitFor = 3;
  subOpsToWaitFor = subOpsBefore + STUDY_A.length + STUDY_B.length;
  const [a, b] = await Promise.all([cMove(callerA, 1, 'DEST_A', STUDY_A[0]!.studyUid), cMove(callerB, 1, 'DEST_B', STUDY_B[0]!.studyUid)]);

  const subOps = archive.subOps.slice(subOpsBefore);
  assert.equal(subOps.length, STUDY_A.length + STUDY_B.length);
  assert.ok(
    subOps.every((s) => s.status === 0x0124),
    `the archive saw 0x0124 for each: ${subOps.map((s) => s.status.toString(16))}`,
  );
  assert.equal(destA.delivered.length + destB.delivered.length, delivered, 'nothing was delivered anywhere');

  for (const [rsps, n] of [
    [a, STUDY_A.length],
    [b, STUDY_B.length],
  ] as const) {
    const final = countsOf(rsps.at(-1)!.command);
    assert.notEqual(final.status, 0, 'never success');
    assert.equal(final.completed, 0);
    assert.equal(final.failed, n);
    assert.equal(messageIdBeingRespondedTo(rsps.at(-1)!.command), 1);
  }

  await until(() => log.lines.some((l) => /no Move Originator Message ID/.test(String(l.msg))), 2000, 'the log line');
  const line = log.lines.find((l) => /no Move Originator Message ID/.test(String(l.msg)))!;
  assert.equal(line.level, 'warn');
  assert.match(String(line.msg), /2 C-MOVEs pending from PACS/);
});
