// CONTRACT "C-GET for callers behind NAT": a caller's C-GET to a node with bridgeGetToMove (an archive
// that only knows C-MOVE) is negotiated by the gateway (GET context, storage contexts with SCP role),
// sent to the archive as C-MOVE with the gateway as Move Destination, and the archive's C-STORE
// sub-operations arrive on the caller's own association, byte for byte; the caller's C-STORE-RSPs go
// back to the archive, and the archive's C-MOVE-RSPs come back as C-GET-RSPs with the caller's
// Message ID, the GET SOP class and the archive's counts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { CT_IMAGE, SECONDARY_CAPTURE, STUDY_ROOT_GET, STUDY_ROOT_MOVE, countsOf, makeStudy, readStrings, startFakeArchive, type FakeArchive } from '../helpers/fake-archive.ts';
import { EXPLICIT_LE, IMPLICIT_LE, associate, cGet, natYaml, type Caller } from '../helpers/nat-peers.ts';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  affectedSopInstanceUid,
  commandField,
  has,
  messageIdBeingRespondedTo,
} from '../../src/dimse/command-set.ts';

const STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.50.1', [35_000, 140_000, 5_000, 70_000], 41, [SECONDARY_CAPTURE, CT_IMAGE]);

let archive: FakeArchive;
let gw: RunningGateway;
let caller: Caller;

before(async () => {
  archive = await startFakeArchive({ studies: [STUDY] });
  gw = await startGateway(
    await natYaml({
      nodes: {
        GETSCU: { port: 104 },
        PACS: { port: archive.port, bridgeGetToMove: true },
      },
      rules: [{ from: ['GETSCU'], to: ['PACS'] }],
    }),
  );
  archive.aeTable.set('GATEWAY', gw.port('lan'));
  caller = await associate(
    gw.port('lan'),
    'GETSCU',
    'PACS',
    [
      { id: 1, abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
      { id: 5, abstractSyntax: CT_IMAGE, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
    ],
    [
      { sopClassUid: SECONDARY_CAPTURE, scuRole: 0, scpRole: 1 },
      { sopClassUid: CT_IMAGE, scuRole: 0, scpRole: 1 },
    ],
  );
});

after(async () => {
  caller?.peer.destroy();
  await gw?.stop();
  await archive?.stop();
});

test('the AC accepts the GET and storage contexts and answers each SCP role proposal with SCP role 1', () => {
  assert.deepEqual(
    caller.ac.presentationContexts.map((pc) => [pc.id, pc.result]),
    [
      [1, 0],
      [3, 0],
      [5, 0],
    ],
  );
  assert.equal(caller.ac.presentationContexts.find((pc) => pc.id === 3)!.transferSyntax, EXPLICIT_LE);
  const roles = caller.ac.userInformation.roleSelections;
  for (const cls of [SECONDARY_CAPTURE, CT_IMAGE]) {
    const r = roles.find((x) => x.sopClassUid === cls);
    assert.ok(r, `role selection item for ${cls}`);
    assert.equal(r.scpRole, 1);
  }
  // The archive was asked for the MOVE twin only; storage is the gateway's business.
  const asked = archive.associations[0]!.contexts.map((pc) => pc.abstractSyntax);
  assert.deepEqual(asked, [STUDY_ROOT_MOVE]);
});

test('every instance arrives on the caller’s association byte-exact; pending and final C-GET-RSPs carry its Message ID and counts', async () => {
  const out = await cGet(caller, 77, STUDY[0]!.studyUid);

  const move = archive.moves.at(-1)!;
  assert.equal(move.moveDestination, 'GATEWAY');
  assert.equal(move.sopClassUid, STUDY_ROOT_MOVE);
  assert.equal(move.callingAe, 'GETSCU');
  assert.equal(move.studyUid, STUDY[0]!.studyUid, 'identifier forwarded unchanged');

  assert.equal(out.stores.length, STUDY.length);
  for (const inst of STUDY) {
    const m = out.stores.find((s) => affectedSopInstanceUid(s.command) === inst.sopInstanceUid);
    assert.ok(m, `${inst.sopInstanceUid} arrived`);
    assert.equal(m.dataSha256, inst.sha256, 'byte for byte');
    assert.equal(affectedSopClassUid(m.command), inst.sopClassUid);
    assert.equal(m.pcId, inst.sopClassUid === SECONDARY_CAPTURE ? 3 : 5, 'on the storage context for its class');
    assert.ok(!has(m.command, TAG.MoveOriginatorApplicationEntityTitle) && !has(m.command, TAG.MoveOriginatorMessageID), 'no Move Originator on a C-GET sub-operation');
  }
  assert.deepEqual(
    archive.subOps.filter((s) => s.moveMessageId === move.messageId).map((s) => s.status),
    [0, 0, 0, 0],
    "the caller's C-STORE-RSPs reached the archive",
  );

  for (const r of out.responses) {
    assert.equal(commandField(r.command), COMMAND_FIELD['C-GET-RSP']);
    assert.equal(affectedSopClassUid(r.command), STUDY_ROOT_GET);
    assert.equal(messageIdBeingRespondedTo(r.command), 77);
  }
  assert.deepEqual(
    out.responses.slice(0, -1).map((r) => countsOf(r.command)),
    [1, 2, 3].map((done) => ({ status: 0xff00, remaining: STUDY.length - done, completed: done, failed: 0, warning: 0 })),
  );
  assert.deepEqual(countsOf(out.responses.at(-1)!.command), { status: 0, remaining: undefined, completed: 4, failed: 0, warning: 0 });
  // Each pending response comes after the sub-operation it counts.
  const order = out.all.map((m) => (commandField(m.command) === COMMAND_FIELD['C-STORE-RQ'] ? 'S' : 'R')).join('');
  assert.equal(order, 'SRSRSRSR');
});

test("a sub-operation the caller fails counts as failed: the archive sees the caller's status, the final C-GET-RSP is 0xB000", async () => {
  const out = await cGet(caller, 78, STUDY[0]!.studyUid, (_m, i) => (i === 1 ? 0xa700 : 0));
  const move = archive.moves.at(-1)!;
  assert.deepEqual(
    archive.subOps.filter((s) => s.moveMessageId === move.messageId).map((s) => s.status),
    [0, 0xa700, 0, 0],
  );
  const final = out.responses.at(-1)!;
  assert.equal(messageIdBeingRespondedTo(final.command), 78);
  assert.equal(affectedSopClassUid(final.command), STUDY_ROOT_GET);
  assert.deepEqual(countsOf(final.command), { status: 0xb000, remaining: undefined, completed: 3, failed: 1, warning: 0 });
  assert.ok(final.data, 'the Failed SOP Instance UID List follows');
  assert.equal(readStrings(final.data, IMPLICIT_LE).get(0x00080058), STUDY[1]!.sopInstanceUid);
});
