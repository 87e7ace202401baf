// C-MOVE across NAT (CONTRACT "C-MOVE across NAT") with real network namespaces: the callers sit in
// a clinic namespace behind a masquerading router, reach the gateway's TLS listener through stunnel
// (movescu 3.6.7 has no TLS), and move studies out of Orthanc, a legacy PACS that knows only the
// gateway (DicomModalities = GATEWAY at 127.0.0.1, DicomCheckModalityHost on). The gateway rewrites
// the Move Destination to itself and relays Orthanc's C-STORE sub-operations to storescp +tls
// destinations; every instance is checked byte for byte.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import { movescu, storescp, storescu } from '../helpers/dcmtk.ts';
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
// stunnel accept ports inside the clinic namespace: a fresh namespace, so fixed numbers are free.
const CLINIC1_TUNNEL = 11001;
const CLINIC2_TUNNEL = 11002;

/** The C-MOVE-RSP fields DCMTK dumps at -d ("Completed Suboperations : 3", "DIMSE Status : 0x0000: Success"). */
interface MoveRsp {
  status: number;
  statusText: string;
  remaining?: number;
  completed?: number;
  failed?: number;
  warning?: number;
}

function parseMoveResponses(output: string): MoveRsp[] {
  const out: MoveRsp[] = [];
  const blocks = output.split(/=+ INCOMING DIMSE MESSAGE =+/).slice(1);
  for (const b of blocks) {
    const body = b.split(/=+ END DIMSE MESSAGE =+/)[0] ?? '';
    if (!/Message Type\s*:\s*C-MOVE RSP/.test(body)) continue;
    const num = (what: string): number | undefined => {
      const m = new RegExp(`${what} Suboperations\\s*:\\s*(\\d+|none)`).exec(body);
      return m ? (m[1] === 'none' ? undefined : Number(m[1])) : undefined;
    };
    const st = /DIMSE Status\s*:\s*0x([0-9a-fA-F]{4})(?::\s*(.*))?/.exec(body);
    out.push({
      status: st ? parseInt(st[1]!, 16) : NaN,
      statusText: st?.[2]?.trim() ?? '',
      remaining: num('Remaining'),
      completed: num('Completed'),
      failed: num('Failed'),
      warning: num('Warning'),
    });
  }
  return out;
}

function finalMove(r: RetrieveResult): MoveRsp {
  const all = parseMoveResponses(r.output);
  const last = all.at(-1);
  assert.ok(last, `no C-MOVE-RSP in movescu output:\n${r.output.slice(-4000)}`);
  return last;
}

function assertSameHashes(sent: Instance[], received: Map<string, string>, what: string): void {
  assert.equal(received.size, sent.length, `${what}: number of received instances`);
  for (const i of sent) assert.equal(received.get(i.sopInstanceUid), i.datasetSha256, `${what}: data set of ${i.sopInstanceUid}`);
}

let work: { dir: string; cleanup(): Promise<void> };
let topo: Topology;
let orthanc: RunningOrthanc;
let dest1: RunningStorescp;
let dest2: RunningStorescp;
let gw: RunningGateway;
let study1: Instance[];
let study2: Instance[];
const tunnels: { stop(): Promise<void> }[] = [];

before(async () => {
  work = await tempDir('dtg-nat-move-');
  topo = await createTopology();
  const pki = await mintCa(join(work.dir, 'pki'));
  const names = ['gateway', 'CLINIC1', 'CLINIC2', 'DEST1', 'DEST2'];
  const pairs = await Promise.all(names.map((name) => pki.issue(name, { ips: ['127.0.0.1', topo.hospitalAddress] })));
  const certs: Record<string, CertPair> = Object.fromEntries(names.map((n, i) => [n, pairs[i]!]));
  const tlsOf = (name: string) => ({ key: certs[name]!.key, cert: certs[name]!.cert, ca: pki.ca.cert });

  // Study 1 spans several P-DATA PDUs per instance and sizes around 16 KB boundaries; study 2 is small.
  study1 = await makeInstances(join(work.dir, 'study1'), { count: 4, patientId: 'NAT-1', bytesPerInstance: [2 * KB, 16 * KB + 1, 300 * KB, 3 * MB + 7] });
  study2 = await makeInstances(join(work.dir, 'study2'), { count: 3, patientId: 'NAT-2', bytesPerInstance: [5 * KB, 70 * KB, 1 * MB] });

  const [lanPort, tlsPort, adminPort, downPort] = (await freePorts(4)) as [number, number, number, number];
  [orthanc, dest1, dest2] = await Promise.all([
    startOrthanc({
      aet: 'ORTHANC',
      // The PACS knows one modality: the gateway, by its AE title and static address.
      modalities: { gateway: { aet: 'GATEWAY', host: '127.0.0.1', port: lanPort } },
      checkModalityHost: true,
      checkCalledAet: true,
      alwaysAllowEcho: false,
      alwaysAllowStore: false,
    }),
    storescp({ aet: 'DEST1', tls: tlsOf('DEST1') }),
    storescp({ aet: 'DEST2', tls: tlsOf('DEST2') }),
  ]);
  // Preloaded directly, as the gateway's AE from its address (the only modality Orthanc accepts).
  const seed = await storescu({ port: orthanc.dicomPort, aet: 'GATEWAY', aec: 'ORTHANC', files: [...study1, ...study2].map((i) => i.path) });
  assert.ok(seed.ok, seed.output);
  await orthanc.waitForInstances(study1.length + study2.length);

  const config = {
    aeTitle: 'GATEWAY',
    tls: { cert: certs.gateway!.cert, key: certs.gateway!.key, ca: pki.ca.cert },
    listeners: [
      // The TLS listener faces the outside on the hospital link; the plain one is for the PACS.
      { name: 'secure', host: topo.hospitalAddress, port: tlsPort, tls: true },
      { name: 'lan', host: '127.0.0.1', port: lanPort },
    ],
    nodes: {
      PACS: { host: '127.0.0.1', port: orthanc.dicomPort, aeTitle: 'ORTHANC', callingAeTitle: 'GATEWAY', rewriteMoveDestination: true },
      CLINIC1: { host: topo.clinicAddress, reachable: false, certificate: { commonName: 'CLINIC1' } },
      CLINIC2: { host: topo.clinicAddress, reachable: false, certificate: { commonName: 'CLINIC2' } },
      DEST1: { host: '127.0.0.1', port: dest1.port, tls: true, certificate: { commonName: 'DEST1' } },
      DEST2: { host: '127.0.0.1', port: dest2.port, tls: true, certificate: { commonName: 'DEST2' } },
      DOWN: { host: '127.0.0.1', port: downPort, tls: true }, // nothing listens there
    },
    rules: [
      { from: ['CLINIC1', 'CLINIC2'], to: ['PACS'], services: ['C-ECHO', 'C-FIND', 'C-MOVE'] },
      { from: ['PACS'], to: ['DEST1', 'DEST2', 'DOWN'], services: ['C-STORE'] },
    ],
    admin: { host: '127.0.0.1', port: adminPort },
    limits: { connectTimeoutMs: 3000, artimMs: 10_000, shutdownGraceMs: 0 },
    audit: { file: 'audit.jsonl' },
    log: { level: 'warn' },
  };
  gw = await startGateway(JSON.stringify(config, null, 2), { logLevel: 'warn' });

  tunnels.push(
    await stunnelClientIn(topo, topo.clinic, { acceptPort: CLINIC1_TUNNEL, connectHost: topo.hospitalAddress, connectPort: tlsPort, ...tlsOf('CLINIC1') }),
    await stunnelClientIn(topo, topo.clinic, { acceptPort: CLINIC2_TUNNEL, connectHost: topo.hospitalAddress, connectPort: tlsPort, ...tlsOf('CLINIC2') }),
  );
});

after(async () => {
  await Promise.all(tunnels.map((t) => t.stop()));
  await gw?.stop();
  await Promise.all([orthanc?.stop(), dest1?.stop(), dest2?.stop()]);
  await topo?.destroy();
  await work?.cleanup();
});

function moveFromClinic(o: { tunnel: number; aet: string; study: string; destination: string }): Promise<RetrieveResult> {
  return movescu({
    netns: topo.clinic,
    port: o.tunnel,
    aet: o.aet,
    aec: 'PACS',
    destination: o.destination,
    level: 'STUDY',
    keys: { StudyInstanceUID: o.study },
    extraArgs: ['-d'], // the C-MOVE-RSP dump carries status and sub-operation counts
    timeoutMs: 60_000,
  });
}

describe('the NAT is real', () => {
  test('the hospital cannot open a connection into the clinic; the clinic reaches the gateway', async () => {
    const port = 7000;
    const listener = topo.spawnIn('probe-listener', topo.clinic, process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(${port}, '0.0.0.0')`]);
    try {
      await topo.waitForListenIn(topo.clinic, port);
      assert.equal(await topo.canConnect(topo.clinic, topo.clinicAddress, port), true, 'the probe listener works inside the clinic');
      assert.equal(await topo.canConnect('root', topo.clinicAddress, port), false, 'hospital -> clinic must fail');
    } finally {
      await listener.stop(2000);
    }
    assert.equal(await topo.canConnect(topo.clinic, topo.hospitalAddress, gw.port('secure')), true, 'clinic -> gateway TLS listener');
  });
});

describe('C-MOVE from behind NAT', () => {
  test('movescu (stunnel) moves study 1 to DEST (storescp +tls): byte-exact, success, counts right', async (t) => {
    await dest1.clear();
    const t0 = Date.now();
    const r = await moveFromClinic({ tunnel: CLINIC1_TUNNEL, aet: 'CLINIC1', study: study1[0]!.studyUid, destination: 'DEST1' });
    const ms = Date.now() - t0;
    const fin = finalMove(r);
    assert.ok(r.ok, r.output.slice(-4000));
    assert.equal(fin.status, 0x0000, `final status ${fin.statusText}`);
    assert.deepEqual({ completed: fin.completed, failed: fin.failed ?? 0, warning: fin.warning ?? 0 }, { completed: study1.length, failed: 0, warning: 0 });
    assertSameHashes(study1, await dest1.hashes(), 'DEST1');
    // The gateway saw the clinic as the router's hospital-side address (masqueraded).
    const accepted = (await gw.auditLines()).filter((l) => l.callingAe === 'CLINIC1' && l.calledAe === 'PACS');
    assert.ok(accepted.length > 0, 'audit has the CLINIC1 association');
    for (const l of accepted) assert.match(String(l.peer), new RegExp(`^(::ffff:)?${topo.routerHospitalAddress.replace(/\./g, '\\.')}(:\\d+)?$`), JSON.stringify(l));
    t.diagnostic(`study 1 (${study1.length} instances) moved in ${ms} ms`);
  });

  test('two callers at once, same Message ID, different studies and destinations: each gets only its own', async () => {
    await Promise.all([dest1.clear(), dest2.clear()]);
    const [r1, r2] = await Promise.all([
      moveFromClinic({ tunnel: CLINIC1_TUNNEL, aet: 'CLINIC1', study: study1[0]!.studyUid, destination: 'DEST1' }),
      moveFromClinic({ tunnel: CLINIC2_TUNNEL, aet: 'CLINIC2', study: study2[0]!.studyUid, destination: 'DEST2' }),
    ]);
    // Both DCMTK callers really used the same Message ID.
    for (const r of [r1, r2]) assert.match(r.output, /Message ID\s*:\s*1\b/, 'movescu sends Message ID 1');
    const f1 = finalMove(r1);
    const f2 = finalMove(r2);
    assert.equal(f1.status, 0, `caller 1: ${f1.statusText}\n${r1.output.slice(-3000)}`);
    assert.equal(f2.status, 0, `caller 2: ${f2.statusText}\n${r2.output.slice(-3000)}`);
    assert.equal(f1.completed, study1.length);
    assert.equal(f2.completed, study2.length);
    assertSameHashes(study1, await dest1.hashes(), 'DEST1');
    assertSameHashes(study2, await dest2.hashes(), 'DEST2');
  });

  test('unknown destination: 0xA801 from the gateway, Orthanc never moves', async () => {
    await Promise.all([dest1.clear(), dest2.clear()]);
    const lanBefore = await lanAssociations();
    for (const destination of ['NOWHERE', 'CLINIC2' /* a node behind NAT: reachable false */]) {
      const r = await moveFromClinic({ tunnel: CLINIC1_TUNNEL, aet: 'CLINIC1', study: study1[0]!.studyUid, destination });
      const fin = finalMove(r);
      assert.equal(fin.status, 0xa801, `${destination}: status 0x${fin.status.toString(16)} ${fin.statusText}\n${r.output.slice(-3000)}`);
      assert.equal(fin.completed ?? 0, 0);
    }
    // Orthanc never called back (no sub-operation association on the gateway's lan listener), nothing arrived.
    assert.equal(await lanAssociations(), lanBefore);
    assert.equal((await dest1.received()).length + (await dest2.received()).length, 0);
  });

  test('destination down: the move fails, no sub-operation is reported as success', async (t) => {
    const refusedBefore = await metric('dicom_gateway_association_rejections_total', 'reason="node-unreachable"');
    const r = await moveFromClinic({ tunnel: CLINIC1_TUNNEL, aet: 'CLINIC1', study: study1[0]!.studyUid, destination: 'DOWN' });
    const all = parseMoveResponses(r.output);
    const fin = finalMove(r);
    // Failure (0xA7xx, 0xA9xx, 0xCxxx) or warning (0xB000), never success or pending.
    assert.ok(fin.status === 0xb000 || (fin.status & 0xf000) === 0xa000 || (fin.status & 0xf000) === 0xc000, `final status 0x${fin.status.toString(16)} ${fin.statusText}\n${r.output.slice(-3000)}`);
    assert.equal(fin.completed ?? 0, 0, 'completed');
    assert.ok(all.every((x) => (x.completed ?? 0) === 0), `no response counts a completed sub-operation: ${JSON.stringify(all)}`);
    // The gateway refused Orthanc's sub-operation association itself (it could not reach DOWN)
    // instead of accepting stores it could not deliver.
    assert.equal(await metric('dicom_gateway_association_rejections_total', 'reason="node-unreachable"'), refusedBefore + 1);
    // Orthanc 1.10.1 ends a synchronous C-MOVE at the first failed sub-operation with 0xC000 and
    // all counts 0 (whether the association or the C-STORE failed), so "failed" is not asserted > 0.
    t.diagnostic(`final C-MOVE-RSP: 0x${fin.status.toString(16)} ${fin.statusText}, failed ${fin.failed ?? '-'}, completed ${fin.completed ?? '-'}`);
  });
});

/** Sum of a metric's samples whose labels contain `labels`, from the admin /metrics page. */
async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, 'gm'))) {
    if (m[1]!.includes(labels)) n += Number(m[2]);
  }
  return n;
}

/** Associations the gateway accepted on its plain (PACS-facing) listener. */
function lanAssociations(): Promise<number> {
  return metric('dicom_gateway_associations_total', 'listener="lan"');
}
