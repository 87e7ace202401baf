// Validates the interop harness itself with direct peer-to-peer transfers (no gateway involved):
// synthetic files survive DCMTK and Orthanc byte for byte, TLS and stunnel plumbing works, and the
// reject parser matches what DCMTK 3.6.7 really prints.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { hashDir, makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import { echoscu, findscu, getscu, movescu, rejectTriple, storescp, storescu, stunnelClient } from '../helpers/dcmtk.ts';
import { scriptedScp } from '../helpers/fake-scp.ts';
import { mintPki } from '../helpers/pki.ts';
import type { CertPair } from '../helpers/pki.ts';
import { startOrthanc } from '../helpers/orthanc.ts';
import type { RunningOrthanc } from '../helpers/orthanc.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

function assertSameHashes(sent: Instance[], received: Map<string, string>): void {
  assert.equal(received.size, sent.length, 'number of received instances');
  for (const i of sent) assert.equal(received.get(i.sopInstanceUid), i.datasetSha256, `data set of ${i.sopInstanceUid}`);
}

let work: { dir: string; cleanup(): Promise<void> };
let pki: { ca: CertPair; server: CertPair; peers: Record<string, CertPair> };
let explicitFiles: Instance[];
let implicitFiles: Instance[];

before(async () => {
  work = await tempDir('dtg-harness-');
  const p = await mintPki(join(work.dir, 'pki'), ['HARNESS']);
  pki = { ca: p.pki.ca, server: p.server, peers: p.peers };
  explicitFiles = await makeInstances(join(work.dir, 'explicit'), {
    count: 5,
    patientId: 'HARNESS-1',
    bytesPerInstance: [1024, 65_536, 1_000_001, 40_000, 6 * 1024 * 1024],
  });
  implicitFiles = await makeInstances(join(work.dir, 'implicit'), {
    count: 2,
    patientId: 'HARNESS-2',
    bytesPerInstance: 20_000,
    transferSyntax: '1.2.840.10008.1.2',
    modality: 'CT',
  });
});

after(async () => {
  await work?.cleanup();
});

describe('storescu -> storescp', () => {
  test('5 instances arrive byte-exact', async () => {
    const scp = await storescp({ aet: 'RX' });
    try {
      const r = await storescu({ port: scp.port, aec: 'RX', files: explicitFiles.map((i) => i.path) });
      assert.ok(r.ok, r.output);
      assert.deepEqual(r.statuses, Array(5).fill('Success'));
      assertSameHashes(explicitFiles, await scp.hashes());
    } finally {
      await scp.stop();
    }
  });

  test('implicit VR files stay byte-exact with implicitOnly (-xi), from a directory scan', async () => {
    const scp = await storescp({ aet: 'RX' });
    try {
      const r = await storescu({ port: scp.port, aec: 'RX', files: [join(work.dir, 'implicit')], implicitOnly: true });
      assert.ok(r.ok, r.output);
      const got = await scp.received();
      assert.ok(got.every((f) => f.transferSyntax === '1.2.840.10008.1.2'));
      assertSameHashes(implicitFiles, await scp.hashes());
    } finally {
      await scp.stop();
    }
  });
});

describe('TLS', () => {
  test('echoscu +tls -> storescp +tls, each profile; wrong trust anchor fails', async () => {
    const client = pki.peers.HARNESS!;
    const scp = await storescp({ aet: 'RX', tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert } });
    try {
      for (const profile of ['+py', '+px', '+pz'] as const) {
        const r = await echoscu({ port: scp.port, aec: 'RX', tls: { key: client.key, cert: client.cert, ca: pki.ca.cert, profile } });
        assert.ok(r.ok, `${profile}: ${r.output}`);
      }
      const plain = await echoscu({ port: scp.port, aec: 'RX' });
      assert.equal(plain.ok, false);
      assert.match(plain.failure ?? '', /Peer aborted Association/);
      const badCa = await echoscu({ port: scp.port, aec: 'RX', tls: { key: client.key, cert: client.cert, ca: client.cert } });
      assert.equal(badCa.ok, false);
      assert.match(badCa.failure ?? '', /certificate verify failed/);
    } finally {
      await scp.stop();
    }
  });

  test('plain echoscu through stunnelClient -> storescp +tls', async () => {
    const client = pki.peers.HARNESS!;
    const scp = await storescp({ aet: 'RX', tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert } });
    const tunnel = await stunnelClient({ connectPort: scp.port, cert: client.cert, key: client.key, ca: pki.ca.cert, checkHost: 'localhost' });
    try {
      const r = await echoscu({ port: tunnel.acceptPort, aec: 'RX' });
      assert.ok(r.ok, r.output);
    } finally {
      await tunnel.stop();
      await scp.stop();
    }
  });
});

describe('reject parsing against real DCMTK output', () => {
  const combos: [number, number, number, string][] = [
    [1, 1, 1, 'No Reason'],
    [1, 1, 2, 'App Context Name Not Supported'],
    [1, 1, 3, 'Calling AE Title Not Recognized'],
    [1, 1, 7, 'Called AE Title Not Recognized'],
    [2, 2, 1, 'No Reason'],
    [2, 2, 2, 'Protocol Version Not Supported'],
    [2, 3, 1, 'Temporary Congestion'],
    [2, 3, 2, 'Local Limit Exceeded'],
  ];
  for (const [result, source, reason, text] of combos) {
    test(`A-ASSOCIATE-RJ ${result}/${source}/${reason} (${text}) seen by echoscu`, async () => {
      const scp = await scriptedScp({ rj: { result, source, reason } });
      try {
        const r = await echoscu({ port: scp.port, aet: 'CALLER', aec: 'CALLED' });
        assert.equal(r.ok, false);
        assert.equal(rejectTriple(r.reject), `${result}/${source}/${reason}`, r.output);
        assert.equal(r.reject?.reasonText, text);
        assert.deepEqual(scp.requests, [{ calledAe: 'CALLED', callingAe: 'CALLER' }]);
      } finally {
        await scp.stop();
      }
    });
  }

  test('every SCU reports the reject (findscu logs at E:, getscu only at D:)', async () => {
    const scp = await scriptedScp({ rj: { result: 2, source: 3, reason: 1 } });
    const out = await tempDir('dtg-rj-');
    try {
      const base = { port: scp.port, aec: 'X' };
      const q = { ...base, level: 'STUDY' as const, keys: { PatientID: 'P' } };
      const results = {
        storescu: await storescu({ ...base, files: [explicitFiles[0]!.path] }),
        findscu: await findscu(q),
        movescu: await movescu({ ...q, destination: 'Y' }),
        getscu: await getscu({ ...q, outDir: out.dir }),
      };
      for (const [name, r] of Object.entries(results)) {
        assert.equal(r.ok, false, name);
        assert.equal(rejectTriple(r.reject), '2/3/1', `${name}: ${r.output}`);
      }
    } finally {
      await out.cleanup();
      await scp.stop();
    }
  });

  test('storescp --refuse rejects 1/1/1', async () => {
    const scp = await storescp({ aet: 'RX', extraArgs: ['--refuse'] });
    try {
      const r = await echoscu({ port: scp.port, aec: 'RX' });
      assert.equal(rejectTriple(r.reject), '1/1/1', r.output);
    } finally {
      await scp.stop();
    }
  });
});

describe('Orthanc', () => {
  let orthanc: RunningOrthanc;
  let dest: Awaited<ReturnType<typeof storescp>>;

  before(async () => {
    dest = await storescp({ aet: 'HARNESS_DEST' });
    // Strict like a hospital PACS: only listed AEs from listed hosts, called AE checked.
    orthanc = await startOrthanc({
      aet: 'LEGACY_PACS',
      modalities: {
        harness: { aet: 'HARNESS', host: '127.0.0.1', port: 1 },
        dest: { aet: 'HARNESS_DEST', host: '127.0.0.1', port: dest.port },
      },
      checkModalityHost: true,
      checkCalledAet: true,
      strictAetComparison: true,
      alwaysAllowEcho: false,
      alwaysAllowStore: false,
    });
  });

  after(async () => {
    await Promise.all([orthanc?.stop(), dest?.stop()]);
  });

  test('starts quickly', () => {
    assert.ok(orthanc.startupMs < 10_000, `startup ${orthanc.startupMs} ms`);
  });

  test('storescu -> Orthanc: stored files byte-exact via REST', async () => {
    const r = await storescu({ port: orthanc.dicomPort, aet: 'HARNESS', aec: 'LEGACY_PACS', files: explicitFiles.map((i) => i.path) });
    assert.ok(r.ok, r.output);
    assert.equal(await orthanc.countInstances(), explicitFiles.length);
    assertSameHashes(explicitFiles, await orthanc.datasetHashes());
    const id = await orthanc.lookupInstance(explicitFiles[0]!.sopInstanceUid);
    assert.ok(id);
    const listed = await orthanc.instances();
    assert.deepEqual(listed.map((i) => i.sopInstanceUid).sort(), explicitFiles.map((i) => i.sopInstanceUid).sort());
    assert.ok(listed.every((i) => i.studyUid === explicitFiles[0]!.studyUid && i.seriesUid === explicitFiles[0]!.seriesUid));
  });

  test('findscu finds the study', async () => {
    const r = await findscu({
      port: orthanc.dicomPort,
      aet: 'HARNESS',
      aec: 'LEGACY_PACS',
      level: 'STUDY',
      keys: { PatientID: 'HARNESS-1', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' },
    });
    assert.ok(r.ok, r.output);
    assert.equal(r.matches.length, 1, r.output);
    assert.equal(r.matches[0]!.StudyInstanceUID, explicitFiles[0]!.studyUid);
    assert.equal(r.matches[0]!.NumberOfStudyRelatedInstances, '5');
    assert.equal(r.statuses.at(-1), 'Success');
  });

  test('movescu: Orthanc moves the study to a storescp, byte-exact', async () => {
    await dest.clear();
    const r = await movescu({
      port: orthanc.dicomPort,
      aet: 'HARNESS',
      aec: 'LEGACY_PACS',
      destination: 'HARNESS_DEST',
      level: 'STUDY',
      keys: { StudyInstanceUID: explicitFiles[0]!.studyUid },
    });
    assert.ok(r.ok, r.output);
    assertSameHashes(explicitFiles, await dest.hashes());
  });

  test('getscu retrieves the study, byte-exact', async () => {
    const out = await tempDir('dtg-get-');
    try {
      const r = await getscu({ port: orthanc.dicomPort, aet: 'HARNESS', aec: 'LEGACY_PACS', level: 'STUDY', keys: { StudyInstanceUID: explicitFiles[0]!.studyUid }, outDir: out.dir });
      assert.ok(r.ok, r.output.slice(-3000));
      assert.equal(r.statuses.at(-1), 'Success');
      assert.deepEqual(r.subOperations, { remaining: 0, completed: 5, failed: 0, warning: 0 });
      assertSameHashes(explicitFiles, await hashDir(out.dir));
    } finally {
      await out.cleanup();
    }
  });

  test('unknown calling AE is rejected 1/1/3', async () => {
    const r = await echoscu({ port: orthanc.dicomPort, aet: 'STRANGER', aec: 'LEGACY_PACS' });
    assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
    assert.equal(r.reject?.reasonText, 'Calling AE Title Not Recognized');
  });

  test('wrong called AE is rejected 1/1/7', async () => {
    const r = await echoscu({ port: orthanc.dicomPort, aet: 'HARNESS', aec: 'NOT_PACS' });
    assert.equal(rejectTriple(r.reject), '1/1/7', r.output);
  });

  test('clear() empties it', async () => {
    await orthanc.clear();
    assert.equal(await orthanc.countInstances(), 0);
  });
});

describe('Orthanc with DICOM TLS', () => {
  test('storescu +tls in, getscu through stunnelClient out', async () => {
    const client = pki.peers.HARNESS!;
    const orthanc = await startOrthanc({
      aet: 'TLS_PACS',
      modalities: { harness: { aet: 'HARNESS', host: '127.0.0.1', port: 1 } },
      tls: { cert: pki.server.cert, key: pki.server.key, trusted: pki.ca.cert },
    });
    const out = await tempDir('dtg-tlsget-');
    let tunnel: Awaited<ReturnType<typeof stunnelClient>> | undefined;
    try {
      const tls = { key: client.key, cert: client.cert, ca: pki.ca.cert };
      const st = await storescu({ port: orthanc.dicomPort, aet: 'HARNESS', aec: 'TLS_PACS', tls, files: explicitFiles.slice(0, 2).map((i) => i.path) });
      assert.ok(st.ok, st.output);
      const plain = await echoscu({ port: orthanc.dicomPort, aet: 'HARNESS', aec: 'TLS_PACS' });
      assert.equal(plain.ok, false);
      tunnel = await stunnelClient({ connectPort: orthanc.dicomPort, cert: client.cert, key: client.key, ca: pki.ca.cert });
      const g = await getscu({ port: tunnel.acceptPort, aet: 'HARNESS', aec: 'TLS_PACS', level: 'STUDY', keys: { StudyInstanceUID: explicitFiles[0]!.studyUid }, outDir: out.dir });
      assert.ok(g.ok, g.output.slice(-3000));
      assert.equal(g.statuses.at(-1), 'Success');
      assertSameHashes(explicitFiles.slice(0, 2), await hashDir(out.dir));
    } finally {
      await tunnel?.stop();
      await out.cleanup();
      await orthanc.stop();
    }
  });
});

test('ports: nothing listens on a fresh free port', async () => {
  const p = await freePort();
  const r = await echoscu({ port: p, aec: 'NOBODY', timeoutMs: 10_000 });
  assert.equal(r.ok, false);
  assert.match(r.failure ?? '', /Peer aborted Association|Connection refused|never connected/);
});
