// C-MOVE across NAT when the destination is wrong or gone. An unknown destination, or one the rules
// do not let the archive store to, is answered 0xA801 by the gateway and never reaches the archive.
// A destination that is down makes the gateway refuse the archive's sub-operation association, and
// a destination that fails a C-STORE has its status relayed to the archive: either way the caller's
// final response counts failures, never success. A sub-operation for a move that has already
// finished (a stray on a kept association) is refused and delivered nowhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { countsOf, makeStudy, readStrings, SubAssociation, startFakeArchive, type FakeArchive } from '../helpers/fake-archive.ts';
import { cMove, moveCaller, natYaml, startStorageScp, IMPLICIT_LE, type Caller, type StorageScp } from '../helpers/nat-peers.ts';
import { freePort } from '../helpers/ports.ts';
import { errorComment, messageIdBeingRespondedTo, status } from '../../src/dimse/command-set.ts';

const STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.40.1', [20_000, 45_000, 6_000], 31);

let archive: FakeArchive;
let dest: StorageScp;
let flaky: StorageScp;
let gw: RunningGateway;
let caller: Caller;

before(async () => {
  archive = await startFakeArchive({ studies: [STUDY] });
  dest = await startStorageScp();
  // Fails the second instance of every move with 0xA700 (out of resources).
  flaky = await startStorageScp({ statusFor: (d) => (d.sopInstanceUid === STUDY[1]!.sopInstanceUid ? 0xa700 : 0) });
  const closedPort = await freePort();
  gw = await startGateway(
    await natYaml({
      nodes: {
        SCU: { port: 104 },
        PACS: { port: archive.port, rewriteMoveDestination: true },
        DEST: { port: dest.port },
        FLAKY: { port: flaky.port },
        DOWN: { port: closedPort },
        FORBIDDEN: { port: dest.port },
      },
      rules: [
        { from: ['SCU'], to: ['PACS'] },
        { from: ['PACS'], to: ['DEST', 'FLAKY', 'DOWN'] },
      ],
    }),
  );
  archive.aeTable.set('GATEWAY', gw.port('lan'));
  caller = await moveCaller(gw.port('lan'), 'SCU', 'PACS');
});

after(async () => {
  caller?.peer.destroy();
  await gw?.stop();
  await archive?.stop();
  await dest?.stop();
  await flaky?.stop();
});

for (const [destination, why] of [
  ['NOWHERE', 'not a node'],
  ['FORBIDDEN', 'a node no rule lets PACS store to'],
] as const) {
  test(`Move Destination ${destination} (${why}): 0xA801 from the gateway, the archive never sees the C-MOVE`, async () => {
    const movesBefore = archive.moves.length;
    const rsps = await cMove(caller, 9, destination, STUDY[0]!.studyUid);
    assert.equal(rsps.length, 1, 'one final response, no pendings');
    const rsp = rsps[0]!.command;
    assert.equal(status(rsp), 0xa801);
    assert.equal(messageIdBeingRespondedTo(rsp), 9);
    const comment = errorComment(rsp) ?? '';
    assert.ok(comment.trim().length > 0 && comment.length <= 64, `Error Comment '${comment}'`);
    assert.ok(comment.includes(destination), `the comment names the destination: '${comment}'`);
    assert.equal(archive.moves.length, movesBefore);
    assert.equal(dest.delivered.length, 0);
  });
}

test('destination down: the archive cannot open its sub-operation association; the caller sees failures, completed 0', async () => {
  const rsps = await cMove(caller, 10, 'DOWN', STUDY[0]!.studyUid);
  assert.equal(archive.moves.at(-1)!.moveDestination, 'GATEWAY', 'the move itself was allowed and forwarded');
  const sub = archive.subAssociations.at(-1)!;
  assert.equal(sub.calledAe, 'GATEWAY');
  assert.deepEqual(sub.outcome, { kind: 'rejected', result: 2, source: 3, reason: 1 }, 'transient, provider, temporary congestion');
  const final = rsps.at(-1)!;
  const c = countsOf(final.command);
  assert.notEqual(c.status, 0x0000, 'never success');
  assert.notEqual(c.status, 0xff00);
  assert.equal(c.completed, 0);
  assert.equal(c.failed, STUDY.length);
  assert.equal(messageIdBeingRespondedTo(final.command), 10);
  assert.equal(dest.delivered.length, 0);
});

test("a destination failing a C-STORE: its status goes back to the archive, the caller's final is 0xB000 with the failed instance listed", async () => {
  const subOpsBefore = archive.subOps.length;
  const rsps = await cMove(caller, 11, 'FLAKY', STUDY[0]!.studyUid);
  assert.deepEqual(
    archive.subOps.slice(subOpsBefore).map((s) => s.status),
    [0, 0xa700, 0],
    "the archive got FLAKY's own statuses",
  );
  const final = rsps.at(-1)!;
  assert.deepEqual(countsOf(final.command), { status: 0xb000, remaining: undefined, completed: 2, failed: 1, warning: 0 });
  assert.equal(messageIdBeingRespondedTo(final.command), 11);
  // The archive's Failed SOP Instance UID List reaches the caller unchanged.
  assert.ok(final.data, 'an identifier follows the final response');
  assert.equal(readStrings(final.data, IMPLICIT_LE).get(0x00080058), STUDY[1]!.sopInstanceUid);
  assert.equal(flaky.delivered.length, STUDY.length);
});

test('a sub-operation for a move that already finished is refused (0x0124) and delivered nowhere', async () => {
  archive.keepSubAssociations = true;
  let rsps;
  try {
    rsps = await cMove(caller, 12, 'DEST', STUDY[0]!.studyUid);
  } finally {
    archive.keepSubAssociations = false;
  }
  assert.equal(countsOf(rsps.at(-1)!.command).status, 0, 'the move itself succeeded');
  assert.equal(dest.delivered.length, STUDY.length);
  const { move, sub } = archive.kept.at(-1)!;
  // After the final response the archive sends one more C-STORE for that move on the same association.
  const stray = await sub.store(STUDY[0]!, { ae: 'SCU', messageId: move.messageId });
  assert.equal(status(stray), 0x0124, 'refused: not authorized');
  assert.ok((errorComment(stray) ?? '').length > 0, 'with a reason');
  assert.equal(dest.delivered.length, STUDY.length, 'nothing more delivered');
  await sub.release();

  // With no move pending at all, the gateway does not even accept the archive's association.
  const late = await SubAssociation.open(gw.port('lan'), 'PACS', 'GATEWAY', [STUDY[0]!.sopClassUid], 16384);
  assert.deepEqual(late.outcome, { kind: 'rejected', result: 2, source: 3, reason: 1 });
  assert.equal(dest.delivered.length, STUDY.length);
});
