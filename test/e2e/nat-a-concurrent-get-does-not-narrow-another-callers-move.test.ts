// The archive's sub-operation association to the gateway cannot say which move it serves until its
// C-STOREs arrive, so the gateway opens it towards every target of the node's pending moves. One
// caller's choices must not break another's move: a bridged C-GET whose caller takes only Secondary
// Capture, running at the same time as a C-MOVE of CT images to DEST from the same archive, leaves
// both complete.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CT_IMAGE, SECONDARY_CAPTURE, countsOf, makeStudy, type FakeArchive } from '../helpers/fake-archive.ts';
import { cGet, cMove, startMoveAndGetScenario, type MoveAndGetScenario, type Caller, type StorageScp } from '../helpers/nat-peers.ts';
import { until } from '../helpers/raw-peer.ts';
import { affectedSopInstanceUid } from '../../src/dimse/command-set.ts';

const CT_STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.70.1', [30_000, 30_000, 30_000], 61, [CT_IMAGE]);
const SC_STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.70.2', [20_000, 20_000], 62, [SECONDARY_CAPTURE]);

let scenario: MoveAndGetScenario;
let archive: FakeArchive;
let dest: StorageScp;
let mover: Caller;
let getter: Caller;

before(async () => {
  scenario = await startMoveAndGetScenario({
    studies: [CT_STUDY, SC_STUDY],
    // Both moves are pending at the gateway before either sub-operation association opens.
    beforeStores: () => until(() => archive.moves.length >= 2, 5000, 'both moves at the archive'),
  });
  ({ archive, dest, mover, getter } = scenario);
});

after(() => scenario?.stop());

test('a C-MOVE of CT to DEST and a bridged C-GET of SC (caller takes SC only) at once both complete', async () => {
  const [moved, got] = await Promise.all([cMove(mover, 1, 'DEST', CT_STUDY[0]!.studyUid), cGet(getter, 1, SC_STUDY[0]!.studyUid)]);
  assert.deepEqual(countsOf(moved.at(-1)!.command), { status: 0, remaining: undefined, completed: CT_STUDY.length, failed: 0, warning: 0 });
  assert.deepEqual(countsOf(got.responses.at(-1)!.command), { status: 0, remaining: undefined, completed: SC_STUDY.length, failed: 0, warning: 0 });
  assert.deepEqual(
    dest.delivered.map((d) => [d.sopInstanceUid, d.sha256]),
    CT_STUDY.map((i) => [i.sopInstanceUid, i.sha256]),
    'DEST got the CT study, byte for byte, and nothing else',
  );
  assert.deepEqual(
    got.stores.map((m) => [affectedSopInstanceUid(m.command), m.dataSha256]),
    SC_STUDY.map((i) => [i.sopInstanceUid, i.sha256]),
    'the C-GET caller got the SC study, byte for byte',
  );
});
