// DCMTK 3.6.7 tools through the gateway on a plain listener: byte-exact C-STORE into storescp,
// C-ECHO relayed and answered by the gateway itself, C-FIND relayed to Orthanc, and every reject
// checked by the A-ASSOCIATE-RJ reason DCMTK itself reports.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import { echoscu, findscu, rejectTriple, storescp, storescu } from '../helpers/dcmtk.ts';
import type { RunningStorescp } from '../helpers/dcmtk.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { startInteropGateway } from '../helpers/interop-config.ts';
import { startOrthanc } from '../helpers/orthanc.ts';
import type { RunningOrthanc } from '../helpers/orthanc.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

const KB = 1024;
const MB = 1024 * KB;

let work: { dir: string; cleanup(): Promise<void> };
let archive: RunningStorescp; // plain storescp node
let refuser: RunningStorescp; // storescp --refuse: its own A-ASSOCIATE-RJ must come back unchanged
let pacs: RunningOrthanc;
let gw: RunningGateway;
let seeded: Instance[];
let lan: number;

before(async () => {
  work = await tempDir('dtg-relay-dcmtk-');
  [archive, refuser, pacs] = await Promise.all([
    storescp({ aet: 'ARCHIVE' }),
    storescp({ aet: 'REFUSER', extraArgs: ['--refuse'] }),
    // The PACS knows only the gateway (calling AE GATEWAY from 127.0.0.1).
    startOrthanc({
      aet: 'LEGACY_PACS',
      modalities: { gateway: { aet: 'GATEWAY', host: '127.0.0.1', port: 1 } },
      checkModalityHost: true,
      checkCalledAet: true,
      alwaysAllowEcho: false,
      alwaysAllowStore: false,
    }),
  ]);
  // Seed the PACS directly (not through the gateway) for the C-FIND test.
  seeded = await makeInstances(join(work.dir, 'seed'), { count: 3, patientId: 'RELAY-FIND', bytesPerInstance: 2 * KB });
  const s = await storescu({ port: pacs.dicomPort, aet: 'GATEWAY', aec: 'LEGACY_PACS', files: seeded.map((i) => i.path) });
  assert.ok(s.ok, s.output);

  gw = await startInteropGateway({
    nodes: {
      MODALITY: { reachable: false }, // a caller only, from 127.0.0.1 (checkHost default on)
      IMPOSTOR: { host: '127.0.0.2', reachable: false }, // calls from 127.0.0.1 must fail checkHost
      ARCHIVE: { port: archive.port },
      REFUSER: { port: refuser.port },
      PACS: { port: pacs.dicomPort, aeTitle: 'LEGACY_PACS', callingAeTitle: 'GATEWAY' },
      DOWN: { port: await freePort() }, // nothing listens there
      LONELY: { port: archive.port }, // no rule leads here
    },
    rules: [
      { from: ['MODALITY'], to: ['ARCHIVE', 'REFUSER', 'PACS', 'DOWN'] },
      { from: ['IMPOSTOR'], to: ['ARCHIVE'] },
    ],
  });
  lan = gw.port('lan');
});

after(async () => {
  await gw?.stop();
  await Promise.all([archive?.stop(), refuser?.stop(), pacs?.stop()]);
  await work?.cleanup();
});

describe('C-STORE', () => {
  test('storescu -> gateway -> storescp: 20 instances of mixed sizes, byte-exact', async (t) => {
    const sizes = [1 * KB, 3 * KB + 1, 16 * KB - 1, 16 * KB, 16 * KB + 1, 64 * KB, 200 * KB, 1 * MB, 4 * MB + 3, 12 * MB];
    const sent = [
      ...(await makeInstances(join(work.dir, 'mixed'), { count: 16, patientId: 'RELAY-1', bytesPerInstance: sizes })),
      // A second SOP class and Implicit VR LE in the same association.
      ...(await makeInstances(join(work.dir, 'mixed'), { count: 4, patientId: 'RELAY-1', bytesPerInstance: [6 * KB, 300 * KB], modality: 'CT', filePrefix: 'ct' })),
    ];
    await archive.clear();
    const t0 = Date.now();
    const r = await storescu({ port: lan, aet: 'MODALITY', aec: 'ARCHIVE', files: sent.map((i) => i.path) });
    const ms = Date.now() - t0;
    assert.ok(r.ok, r.output.slice(-4000));
    assert.equal(r.statuses.length, 20);
    assert.ok(r.statuses.every((s) => s === 'Success'), r.statuses.join());
    const got = await archive.hashes();
    assert.equal(got.size, 20);
    for (const i of sent) assert.equal(got.get(i.sopInstanceUid), i.datasetSha256, `${i.path} (${i.pixelBytes} pixel bytes)`);
    const total = sent.reduce((a, i) => a + i.fileBytes, 0);
    t.diagnostic(`20 instances, ${(total / MB).toFixed(1)} MB in ${ms} ms`);
  });
});

describe('C-ECHO', () => {
  test('relayed to the node', async () => {
    const r = await echoscu({ port: lan, aet: 'MODALITY', aec: 'ARCHIVE' });
    assert.ok(r.ok, r.output);
  });

  test('answered by the gateway for its own AE title', async () => {
    const r = await echoscu({ port: lan, aet: 'MODALITY', aec: 'GATEWAY' });
    assert.ok(r.ok, r.output);
  });
});

describe('C-FIND', () => {
  test('findscu through the gateway to Orthanc', async () => {
    const r = await findscu({
      port: lan,
      aet: 'MODALITY',
      aec: 'PACS',
      level: 'STUDY',
      keys: { PatientID: 'RELAY-FIND', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' },
    });
    assert.ok(r.ok, r.output);
    assert.equal(r.matches.length, 1, r.output);
    assert.equal(r.matches[0]!.StudyInstanceUID, seeded[0]!.studyUid);
    assert.equal(r.matches[0]!.NumberOfStudyRelatedInstances, '3');
    assert.equal(r.statuses.at(-1), 'Success');
  });

  test('image level returns every instance', async () => {
    const r = await findscu({
      port: lan,
      aet: 'MODALITY',
      aec: 'PACS',
      level: 'IMAGE',
      keys: { StudyInstanceUID: seeded[0]!.studyUid, SeriesInstanceUID: seeded[0]!.seriesUid, SOPInstanceUID: '' },
    });
    assert.ok(r.ok, r.output);
    assert.deepEqual(r.matches.map((m) => m.SOPInstanceUID).sort(), seeded.map((i) => i.sopInstanceUid).sort());
  });
});

describe('rejects, as DCMTK reports them', () => {
  test('unknown called AE: 1/1/7', async () => {
    const r = await echoscu({ port: lan, aet: 'MODALITY', aec: 'NOBODY' });
    assert.equal(rejectTriple(r.reject), '1/1/7', r.output);
    assert.equal(r.reject?.reasonText, 'Called AE Title Not Recognized');
  });

  test('unknown calling AE: 1/1/3', async () => {
    const r = await echoscu({ port: lan, aet: 'STRANGER', aec: 'ARCHIVE' });
    assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
    assert.equal(r.reject?.reasonText, 'Calling AE Title Not Recognized');
  });

  test('calling AE from the wrong host (checkHost): 1/1/3', async () => {
    const r = await echoscu({ port: lan, aet: 'IMPOSTOR', aec: 'ARCHIVE' });
    assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
  });

  test('no rule: 1/1/3', async () => {
    const r = await echoscu({ port: lan, aet: 'MODALITY', aec: 'LONELY' });
    assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
  });

  test('node down: 2/3/1', async () => {
    const t0 = Date.now();
    const r = await echoscu({ port: lan, aet: 'MODALITY', aec: 'DOWN' });
    assert.equal(rejectTriple(r.reject), '2/3/1', r.output);
    assert.equal(r.reject?.reasonText, 'Temporary Congestion');
    assert.ok(Date.now() - t0 < 10_000);
  });

  test("the node's own reject is relayed unchanged (storescp --refuse: 1/1/1)", async () => {
    const r = await echoscu({ port: lan, aet: 'MODALITY', aec: 'REFUSER' });
    assert.equal(rejectTriple(r.reject), '1/1/1', r.output);
  });

  test('storescu, findscu see the same reject', async () => {
    const st = await storescu({ port: lan, aet: 'STRANGER', aec: 'ARCHIVE', files: [seeded[0]!.path] });
    assert.equal(rejectTriple(st.reject), '1/1/3', st.output);
    const f = await findscu({ port: lan, aet: 'MODALITY', aec: 'NOBODY', level: 'STUDY', keys: { PatientID: '' } });
    assert.equal(rejectTriple(f.reject), '1/1/7', f.output);
  });

  test('rejections are audited with reasons', async () => {
    const rejected = (await gw.auditLines()).filter((l) => l.event === 'association-rejected');
    const reasons = new Set(rejected.map((l) => String(l.reason).split(':')[0]));
    for (const want of ['called-ae-not-recognized', 'calling-ae-not-recognized', 'not-allowed', 'node-unreachable']) {
      assert.ok(reasons.has(want), `${want} not in ${[...reasons].join(', ')}`);
    }
    const stranger = rejected.find((l) => l.callingAe === 'STRANGER');
    assert.equal(stranger?.calledAe, 'ARCHIVE');
    assert.equal(stranger?.listener, 'lan');
  });
});
