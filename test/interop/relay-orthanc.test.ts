// Orthanc as the legacy PACS behind the gateway. Orthanc knows only the gateway (one entry in
// DicomModalities, host checked, nothing allowed by default), like a hospital PACS that has the
// gateway's static IP and AE title. 200 instances go in byte-exact; C-MOVE (with Move Destination
// rewritten to the gateway, Orthanc calling back) and C-GET come back out byte-exact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { hashDir, makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import { getscu, movescu, storescp, storescu } from '../helpers/dcmtk.ts';
import type { RunningStorescp } from '../helpers/dcmtk.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { startInteropGateway } from '../helpers/interop-config.ts';
import { startOrthanc } from '../helpers/orthanc.ts';
import type { RunningOrthanc } from '../helpers/orthanc.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

const KB = 1024;

let work: { dir: string; cleanup(): Promise<void> };
let pacs: RunningOrthanc;
let archive: RunningStorescp;
let gw: RunningGateway;
let lan: number;
let bulk: Instance[];
let small: Instance[];

function assertSame(sent: Instance[], got: Map<string, string>): void {
  assert.equal(got.size, sent.length, 'instance count');
  const bad = sent.filter((i) => got.get(i.sopInstanceUid) !== i.datasetSha256);
  assert.deepEqual(bad.map((i) => i.path), [], 'instances whose data set differs');
}

before(async () => {
  work = await tempDir('dtg-relay-orthanc-');
  lan = await freePort(); // known before Orthanc starts: Orthanc must know where the gateway is
  [pacs, archive] = await Promise.all([
    startOrthanc({
      aet: 'LEGACY_PACS',
      modalities: { gateway: { aet: 'GATEWAY', host: '127.0.0.1', port: lan } },
      checkModalityHost: true,
      checkCalledAet: true,
      strictAetComparison: true,
      alwaysAllowEcho: false,
      alwaysAllowStore: false,
    }),
    storescp({ aet: 'ARCHIVE' }),
  ]);
  gw = await startInteropGateway({
    listeners: [{ name: 'lan', port: lan }],
    nodes: {
      MODALITY: { reachable: false },
      PACS: { port: pacs.dicomPort, aeTitle: 'LEGACY_PACS', callingAeTitle: 'GATEWAY', rewriteMoveDestination: true },
      ARCHIVE: { port: archive.port },
    },
    rules: [
      { from: ['MODALITY'], to: ['PACS'] },
      { from: ['PACS'], to: ['ARCHIVE'], services: ['C-STORE'] }, // C-MOVE sub-operations
    ],
  });
  bulk = await makeInstances(join(work.dir, 'bulk'), { count: 200, patientId: 'BULK-200', bytesPerInstance: [2 * KB, 10 * KB, 40 * KB, 130 * KB, 600 * KB] });
  small = await makeInstances(join(work.dir, 'small'), { count: 8, patientId: 'MOVE-8', bytesPerInstance: [1 * KB, 300 * KB] });
});

after(async () => {
  await gw?.stop();
  await Promise.all([pacs?.stop(), archive?.stop()]);
  await work?.cleanup();
});

test('200 instances: storescu -> gateway -> Orthanc, every one byte-exact', async (t) => {
  const t0 = Date.now();
  const r = await storescu({ port: lan, aet: 'MODALITY', aec: 'PACS', files: [join(work.dir, 'bulk')] });
  const sendMs = Date.now() - t0;
  assert.ok(r.ok, r.output.slice(-4000));
  assert.equal(r.statuses.filter((s) => s === 'Success').length, 200);
  assert.equal(await pacs.countInstances(), 200);
  const t1 = Date.now();
  assertSame(bulk, await pacs.datasetHashes());
  const mb = bulk.reduce((a, i) => a + i.fileBytes, 0) / (1024 * 1024);
  t.diagnostic(`200 instances, ${mb.toFixed(1)} MB: storescu ${sendMs} ms, REST download + hash ${Date.now() - t1} ms`);
});

test('C-MOVE through the gateway: Orthanc calls back the gateway, which relays to ARCHIVE', async () => {
  const s = await storescu({ port: lan, aet: 'MODALITY', aec: 'PACS', files: small.map((i) => i.path) });
  assert.ok(s.ok, s.output);
  await archive.clear();
  const r = await movescu({
    port: lan,
    aet: 'MODALITY',
    aec: 'PACS',
    destination: 'ARCHIVE',
    level: 'STUDY',
    keys: { StudyInstanceUID: small[0]!.studyUid },
  });
  assert.ok(r.ok, r.output.slice(-4000));
  assert.equal(r.statuses.at(-1), 'Success', r.output.slice(-4000));
  assertSame(small, await archive.hashes());
});

test('C-GET through the gateway, byte-exact', async () => {
  const out = await tempDir('dtg-relay-get-');
  try {
    const r = await getscu({ port: lan, aet: 'MODALITY', aec: 'PACS', level: 'STUDY', keys: { StudyInstanceUID: small[0]!.studyUid }, outDir: out.dir });
    assert.ok(r.ok, r.output.slice(-4000));
    assert.deepEqual(r.subOperations, { remaining: 0, completed: small.length, failed: 0, warning: 0 });
    assertSame(small, await hashDir(out.dir));
  } finally {
    await out.cleanup();
  }
});

test('Orthanc refuses a direct call from an AE it does not know (the setup is really strict)', async () => {
  const r = await storescu({ port: pacs.dicomPort, aet: 'MODALITY', aec: 'LEGACY_PACS', files: [small[0]!.path] });
  assert.equal(r.ok, false);
  assert.equal(r.reject?.reasonText, 'Calling AE Title Not Recognized', r.output);
});
