// C-CANCEL during a C-MOVE the gateway rewrote (or a C-GET it bridged to C-MOVE) names the caller's
// own Message ID; the archive only knows the gateway's. The gateway maps Message ID Being Responded
// To (dicom-facts 2.5, 2.8 step 7), so the archive stops, and its final 0xFE00 comes back to the
// caller under the caller's ID with the archive's counts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { STUDY_ROOT_GET, STUDY_ROOT_MOVE, countsOf, makeStudy, type FakeArchive } from '../helpers/fake-archive.ts';
import {
  cGet,
  responsesUntilFinal,
  sendCancel,
  sendMove,
  startMoveAndGetScenario,
  type MoveAndGetScenario,
  type Caller,
  type StorageScp,
} from '../helpers/nat-peers.ts';
import { until } from '../helpers/raw-peer.ts';
import { affectedSopClassUid, messageIdBeingRespondedTo, status } from '../../src/dimse/command-set.ts';

const STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.60.1', [10_000, 10_000, 10_000, 10_000, 10_000, 10_000], 51);

let scenario: MoveAndGetScenario;
let archive: FakeArchive;
let dest: StorageScp;
let mover: Caller;
let getter: Caller;

before(async () => {
  // Slow sub-operations leave room to cancel.
  scenario = await startMoveAndGetScenario({ studies: [STUDY], storeDelayMs: 120 });
  ({ archive, dest, mover, getter } = scenario);
});

after(() => scenario?.stop());

test('C-CANCEL during a rewritten C-MOVE reaches the archive with the gateway’s Message ID; the caller gets 0xFE00 under its own', async () => {
  const callerId = 3;
  await sendMove(mover, callerId, 'DEST', STUDY[0]!.studyUid);
  const first = await mover.peer.nextMessage(5000);
  assert.equal(status(first.command), 0xff00, 'a pending response first');
  await sendCancel(mover, STUDY_ROOT_MOVE, callerId);
  const rest = await responsesUntilFinal(mover);

  const move = archive.moves.at(-1)!;
  assert.notEqual(move.messageId, callerId, 'this test needs the two IDs to differ');
  await until(() => archive.cancels.length > 0, 2000, 'the C-CANCEL at the archive');
  assert.deepEqual(archive.cancels, [move.messageId], 'Message ID Being Responded To mapped to the forwarded C-MOVE');

  const final = rest.at(-1)!;
  assert.equal(messageIdBeingRespondedTo(final.command), callerId);
  const c = countsOf(final.command);
  assert.equal(c.status, 0xfe00, 'cancelled');
  assert.ok((c.remaining ?? 0) > 0, `sub-operations were left (remaining ${c.remaining})`);
  assert.equal((c.completed ?? 0) + (c.remaining ?? 0), STUDY.length);
  assert.equal(dest.delivered.length, c.completed, 'DEST got exactly the completed ones');
});

test('C-CANCEL during a bridged C-GET reaches the archive as a cancel of its C-MOVE; the caller gets a C-GET-RSP 0xFE00', async () => {
  const callerId = 21;
  const cancelsBefore = archive.cancels.length;
  const out = await cGet(getter, callerId, STUDY[0]!.studyUid, (_m, i) => {
    if (i === 0) void sendCancel(getter, STUDY_ROOT_GET, callerId);
    return 0;
  });
  const move = archive.moves.at(-1)!;
  assert.equal(move.sopClassUid, STUDY_ROOT_MOVE);
  assert.notEqual(move.messageId, callerId);
  assert.deepEqual(archive.cancels.slice(cancelsBefore), [move.messageId]);

  const final = out.responses.at(-1)!;
  assert.equal(messageIdBeingRespondedTo(final.command), callerId);
  assert.equal(affectedSopClassUid(final.command), STUDY_ROOT_GET);
  const c = countsOf(final.command);
  assert.equal(c.status, 0xfe00);
  assert.ok((c.remaining ?? 0) > 0);
  assert.equal(out.stores.length, c.completed);
});
