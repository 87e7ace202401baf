// CONTRACT "C-MOVE across NAT": a caller's C-MOVE through the gateway to an archive that knows only
// the gateway (rewriteMoveDestination) reaches the archive with Move Destination = the gateway's AE
// title and a gateway-chosen Message ID; the archive's sub-operation association to the gateway is
// relayed to the real destination, every data set byte for byte, with the caller's Move Originator
// AE title and Message ID restored; the caller sees pending and final C-MOVE-RSPs under its own ID.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { CT_IMAGE, SECONDARY_CAPTURE, countsOf, makeStudy, startFakeArchive, type FakeArchive } from '../helpers/fake-archive.ts';
import { cMove, moveCaller, natYaml, startStorageScp, type Caller, type StorageScp } from '../helpers/nat-peers.ts';
import { getUint16, messageIdBeingRespondedTo, TAG } from '../../src/dimse/command-set.ts';

const STUDY = makeStudy('1.2.826.0.1.3680043.9.7433.10.1', [30_000, 120_000, 4_000, 250_001], 1, [SECONDARY_CAPTURE, CT_IMAGE]);
const OTHER = makeStudy('1.2.826.0.1.3680043.9.7433.10.2', [20_000, 9_000], 2);

let archive: FakeArchive;
let dest: StorageScp;
let dest2: StorageScp;
let gw: RunningGateway;
let caller: Caller;

before(async () => {
  archive = await startFakeArchive({ studies: [STUDY, OTHER] });
  dest = await startStorageScp();
  dest2 = await startStorageScp();
  gw = await startGateway(
    await natYaml({
      nodes: {
        SCU: { port: 104 },
        PACS: { port: archive.port, rewriteMoveDestination: true },
        DEST: { port: dest.port },
        DEST2: { port: dest2.port, callingAeTitle: 'GW_OUT' },
      },
      rules: [
        { from: ['SCU'], to: ['PACS'] },
        { from: ['PACS'], to: ['DEST', 'DEST2'] },
      ],
    }),
  );
  // The legacy archive's AE table knows only the gateway, at its plain listener.
  archive.aeTable.set('GATEWAY', gw.port('lan'));
  caller = await moveCaller(gw.port('lan'), 'SCU', 'PACS');
});

after(async () => {
  caller?.peer.destroy();
  await gw?.stop();
  await archive?.stop();
  await dest?.stop();
  await dest2?.stop();
});

test('every instance reaches DEST byte-exact with the caller as Move Originator; the caller gets its own Message ID back', async () => {
  const callerId = 4242;
  const rsps = await cMove(caller, callerId, 'DEST', STUDY[0]!.studyUid);

  // What the archive saw: the gateway as destination and a Message ID of the gateway's choosing.
  assert.equal(archive.moves.length, 1);
  const seen = archive.moves[0]!;
  assert.equal(seen.moveDestination, 'GATEWAY');
  assert.notEqual(seen.messageId, callerId, 'the gateway forwards its own Message ID');
  assert.equal(seen.studyUid, STUDY[0]!.studyUid, 'the identifier arrived unchanged');
  assert.deepEqual(archive.subAssociations.map((s) => [s.calledAe, s.outcome.kind]), [['GATEWAY', 'accepted']]);
  assert.deepEqual(archive.subOps.map((s) => s.status), [0, 0, 0, 0], 'the archive saw DEST succeed for each');

  // What DEST saw.
  assert.equal(dest.delivered.length, STUDY.length);
  for (const inst of STUDY) {
    const d = dest.byUid(inst.sopInstanceUid);
    assert.ok(d, `${inst.sopInstanceUid} delivered`);
    assert.equal(d.sha256, inst.sha256, 'data set byte for byte');
    assert.equal(d.length, inst.data.length);
    assert.equal(d.sopClassUid, inst.sopClassUid);
    assert.equal(d.callingAe, 'PACS', 'Calling AE: the archive, by the name callers use for it');
    assert.equal(d.calledAe, 'DEST');
    assert.equal(d.moveOriginatorAe, 'SCU', "Move Originator AE: the caller's");
    assert.equal(d.moveOriginatorMessageId, callerId, "Move Originator Message ID: the caller's own");
  }
  assert.equal(dest2.delivered.length, 0);

  // What the caller saw: a pending response after each but the last sub-operation, then success.
  assert.equal(rsps.length, STUDY.length);
  for (const m of rsps) {
    assert.equal(getUint16(m.command, TAG.CommandField), 0x8021);
    assert.equal(messageIdBeingRespondedTo(m.command), callerId);
  }
  const pendings = rsps.slice(0, -1).map((m) => countsOf(m.command));
  assert.deepEqual(
    pendings,
    [1, 2, 3].map((done) => ({ status: 0xff00, remaining: STUDY.length - done, completed: done, failed: 0, warning: 0 })),
  );
  assert.deepEqual(countsOf(rsps.at(-1)!.command), { status: 0x0000, remaining: undefined, completed: 4, failed: 0, warning: 0 });
  assert.deepEqual(archive.finals.map((f) => [f.moveMessageId, f.status]), [[seen.messageId, 0]]);
});

test("a destination with callingAeTitle sees that title; an archive writing its own AE as Move Originator (pynetdicom) still routes by Message ID", async () => {
  archive.originator = 'own-ae';
  try {
    const rsps = await cMove(caller, 1, 'DEST2', OTHER[0]!.studyUid);
    assert.deepEqual(countsOf(rsps.at(-1)!.command), { status: 0x0000, remaining: undefined, completed: 2, failed: 0, warning: 0 });
    assert.equal(messageIdBeingRespondedTo(rsps.at(-1)!.command), 1);
  } finally {
    archive.originator = 'standard';
  }
  const seen = archive.moves.at(-1)!;
  assert.equal(seen.moveDestination, 'GATEWAY');
  assert.equal(dest2.delivered.length, OTHER.length);
  for (const inst of OTHER) {
    const d = dest2.byUid(inst.sopInstanceUid)!;
    assert.equal(d.sha256, inst.sha256);
    assert.equal(d.callingAe, 'GW_OUT');
    assert.equal(d.moveOriginatorAe, 'SCU', "restored to the caller's AE, not the archive's");
    assert.equal(d.moveOriginatorMessageId, 1);
  }
  assert.equal(dest.delivered.length, STUDY.length, 'nothing more went to DEST');
});
