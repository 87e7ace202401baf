// C-GET for callers behind NAT (CONTRACT "C-GET for callers behind NAT") with real network
// namespaces: getscu runs inside a clinic namespace behind a masquerading router and reaches the
// gateway's TLS listener through stunnel (getscu 3.6.7 has no TLS). The PACS node (Orthanc, which
// knows only the gateway) has bridgeGetToMove: the gateway answers the C-GET itself, sends Orthanc a
// C-MOVE with its own AE title as destination, and relays Orthanc's C-STORE sub-operations back on
// the getscu association. Nothing connects into the clinic; every instance is checked byte for byte.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hashDir, makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import { getscu, movescu, storescp, storescu } from '../helpers/dcmtk.ts';
import type { RetrieveResult, RunningStorescp } from '../helpers/dcmtk.ts';
import { startGateway } from '../helpers/gateway.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { createTopology, stunnelClientIn } from '../helpers/netns.ts';
import type { Topology } from '../helpers/netns.ts';
import { startOrthanc } from '../helpers/orthanc.ts';
import type { RunningOrthanc } from '../helpers/orthanc.ts';
import { mintCa } from '../helpers/pki.ts';
import type { CertPair } from '../helpers/pki.ts';
import { freePorts } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

const KB = 1024;
const MB = 1024 * KB;
const CLINIC1_TUNNEL = 11001; // inside the fresh clinic namespace
const CLINIC2_TUNNEL = 11002;

function assertSameHashes(sent: Instance[], received: Map<string, string>, what: string): void {
  assert.equal(received.size, sent.length, `${what}: number of received instances`);
  for (const i of sent) assert.equal(received.get(i.sopInstanceUid), i.datasetSha256, `${what}: data set of ${i.sopInstanceUid}`);
}

function assertGetSucceeded(r: RetrieveResult, n: number, what: string): void {
  assert.ok(r.ok, `${what}: getscu failed\n${r.output.slice(-4000)}`);
  assert.equal(r.statuses.at(-1), 'Success', `${what}: final C-GET-RSP status\n${r.output.slice(-4000)}`);
  assert.deepEqual(
    { completed: r.subOperations?.completed, failed: r.subOperations?.failed, warning: r.subOperations?.warning },
    { completed: n, failed: 0, warning: 0 },
    `${what}: final sub-operation counts`,
  );
}

let work: { dir: string; cleanup(): Promise<void> };
let topo: Topology;
let orthanc: RunningOrthanc;
let gw: RunningGateway;
let dest: RunningStorescp;
let config: Record<string, unknown> & { nodes: Record<string, Record<string, unknown>>; rules: unknown[] };
let study1: Instance[];
let study2: Instance[];
let big: Instance[]; // long enough to still be moving when the C-GET starts
const tunnels: { stop(): Promise<void> }[] = [];

before(async () => {
  work = await tempDir('dtg-nat-get-');
  topo = await createTopology();
  const pki = await mintCa(join(work.dir, 'pki'));
  const names = ['gateway', 'CLINIC1', 'CLINIC2', 'DEST'];
  const pairs = await Promise.all(names.map((name) => pki.issue(name, { ips: ['127.0.0.1', topo.hospitalAddress] })));
  const certs: Record<string, CertPair> = Object.fromEntries(names.map((n, i) => [n, pairs[i]!]));
  const tlsOf = (name: string) => ({ key: certs[name]!.key, cert: certs[name]!.cert, ca: pki.ca.cert });

  study1 = await makeInstances(join(work.dir, 'study1'), { count: 4, patientId: 'NATGET-1', bytesPerInstance: [3 * KB, 16 * KB + 1, 500 * KB, 3 * MB + 5] });
  study2 = await makeInstances(join(work.dir, 'study2'), { count: 3, patientId: 'NATGET-2', bytesPerInstance: [7 * KB, 64 * KB, 1 * MB] });
  big = await makeInstances(join(work.dir, 'big'), { count: 8, patientId: 'NATGET-3', bytesPerInstance: 3 * MB });

  const [lanPort, tlsPort, adminPort] = (await freePorts(3)) as [number, number, number];
  [orthanc, dest] = await Promise.all([
    startOrthanc({
      aet: 'ORTHANC',
      modalities: { gateway: { aet: 'GATEWAY', host: '127.0.0.1', port: lanPort } },
      checkModalityHost: true,
      checkCalledAet: true,
      alwaysAllowEcho: false,
      alwaysAllowStore: false,
    }),
    storescp({ aet: 'DEST', tls: tlsOf('DEST') }),
  ]);
  const seed = await storescu({ port: orthanc.dicomPort, aet: 'GATEWAY', aec: 'ORTHANC', files: [...study1, ...study2, ...big].map((i) => i.path) });
  assert.ok(seed.ok, seed.output);
  await orthanc.waitForInstances(study1.length + study2.length + big.length);

  config = {
    aeTitle: 'GATEWAY',
    tls: { cert: certs.gateway!.cert, key: certs.gateway!.key, ca: pki.ca.cert },
    listeners: [
      { name: 'secure', host: topo.hospitalAddress, port: tlsPort, tls: true },
      { name: 'lan', host: '127.0.0.1', port: lanPort },
    ],
    nodes: {
      PACS: { host: '127.0.0.1', port: orthanc.dicomPort, aeTitle: 'ORTHANC', callingAeTitle: 'GATEWAY', bridgeGetToMove: true },
      CLINIC1: { host: topo.clinicAddress, reachable: false, certificate: { commonName: 'CLINIC1' } },
      CLINIC2: { host: topo.clinicAddress, reachable: false, certificate: { commonName: 'CLINIC2' } },
      DEST: { host: '127.0.0.1', port: dest.port, tls: true, certificate: { commonName: 'DEST' } },
    },
    rules: [
      { from: ['CLINIC1', 'CLINIC2'], to: ['PACS'], services: ['C-ECHO', 'C-FIND', 'C-GET', 'C-MOVE'] },
      { from: ['PACS'], to: ['DEST'], services: ['C-STORE'] },
    ],
    admin: { host: '127.0.0.1', port: adminPort },
    limits: { connectTimeoutMs: 3000, artimMs: 10_000, shutdownGraceMs: 0 },
    audit: { file: 'audit.jsonl' },
    log: { level: process.env.GATEWAY_TEST_LOG ?? 'warn' }, // survives the reload below
  };
  gw = await startGateway(JSON.stringify(config, null, 2), { logLevel: 'warn' });
  for (const [port, name] of [[CLINIC1_TUNNEL, 'CLINIC1'], [CLINIC2_TUNNEL, 'CLINIC2']] as const) {
    tunnels.push(await stunnelClientIn(topo, topo.clinic, { acceptPort: port, connectHost: topo.hospitalAddress, connectPort: tlsPort, ...tlsOf(name) }));
  }
});

after(async () => {
  await Promise.all(tunnels.map((t) => t.stop()));
  await gw?.stop();
  await Promise.all([orthanc?.stop(), dest?.stop()]);
  await topo?.destroy();
  await work?.cleanup();
});

let gets = 0;

async function getFromClinic(tunnel: number, aet: string, study: string): Promise<RetrieveResult & { outDir: string }> {
  const out = join(work.dir, `get-${aet}-${++gets}`);
  await mkdir(out);
  const r = await getscu({ netns: topo.clinic, port: tunnel, aet, aec: 'PACS', level: 'STUDY', keys: { StudyInstanceUID: study }, outDir: out, timeoutMs: 60_000 });
  return { ...r, outDir: out };
}

describe('C-GET from behind NAT, bridged to C-MOVE', () => {
  test('getscu (stunnel) from the clinic retrieves study 1 byte-exact on its own association', async (t) => {
    const t0 = Date.now();
    const r = await getFromClinic(CLINIC1_TUNNEL, 'CLINIC1', study1[0]!.studyUid);
    const ms = Date.now() - t0;
    assertGetSucceeded(r, study1.length, 'study 1');
    assertSameHashes(study1, await hashDir(r.outDir), 'getscu');
    // The caller's association came through the router (masqueraded), and Orthanc's sub-operations
    // came to the gateway's own AE on the hospital LAN: nothing called into the clinic.
    const lines = await gw.auditLines();
    const caller = lines.filter((l) => l.callingAe === 'CLINIC1' && l.calledAe === 'PACS');
    assert.ok(caller.length > 0, 'audit has the CLINIC1 association');
    for (const l of caller) assert.ok(String(l.peer).includes(topo.routerHospitalAddress), `peer is the router: ${JSON.stringify(l)}`);
    t.diagnostic(`study 1 (${study1.length} instances) retrieved in ${ms} ms`);
  });

  test('two getscu callers at once, same Message ID, different studies: each gets only its own', async () => {
    const [r1, r2] = await Promise.all([
      getFromClinic(CLINIC1_TUNNEL, 'CLINIC1', study1[0]!.studyUid),
      getFromClinic(CLINIC2_TUNNEL, 'CLINIC2', study2[0]!.studyUid),
    ]);
    assertGetSucceeded(r1, study1.length, 'caller 1');
    assertGetSucceeded(r2, study2.length, 'caller 2');
    assertSameHashes(study1, await hashDir(r1.outDir), 'caller 1');
    assertSameHashes(study2, await hashDir(r2.outDir), 'caller 2');
  });

  test('a bridged C-GET and a rewritten C-MOVE from the same PACS at once: each reaches its own caller/destination', async (t) => {
    // The same PACS now also serves C-MOVE for callers whose destination is another node.
    config.nodes.PACS!.rewriteMoveDestination = true;
    const reload = await gw.reload(JSON.stringify(config, null, 2));
    assert.ok(reload.ok, reload.message);
    await dest.clear();
    // The move starts first and is still running when the C-GET's sub-operations arrive, so the
    // gateway has a rewritten move and a bridged get pending from the same PACS at once.
    const moving = movescu({ netns: topo.clinic, port: CLINIC2_TUNNEL, aet: 'CLINIC2', aec: 'PACS', destination: 'DEST', level: 'STUDY', keys: { StudyInstanceUID: big[0]!.studyUid }, timeoutMs: 60_000 });
    await dest.waitForFiles(1, 20_000);
    const t0 = Date.now();
    const g = await getFromClinic(CLINIC1_TUNNEL, 'CLINIC1', study1[0]!.studyUid);
    t.diagnostic(`C-GET during the move took ${Date.now() - t0} ms`);
    const m = await moving;
    assertGetSucceeded(g, study1.length, 'C-GET caller');
    assertSameHashes(study1, await hashDir(g.outDir), 'C-GET caller');
    assert.ok(m.ok, m.output.slice(-4000));
    assert.equal(m.statuses.at(-1), 'Success', m.output.slice(-4000));
    assertSameHashes(big, await dest.hashes(), 'C-MOVE destination');
  });
});
