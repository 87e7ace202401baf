// DICOM TLS through the gateway with real peers: DCMTK +tls callers on a TLS listener (each 3.6.7
// profile), the gateway originating TLS to storescp +tls and to Orthanc with DicomTlsEnabled, and
// getscu (no TLS of its own) through stunnel. Certificates come from the gateway's own
// `certs init` code, so this also checks that OpenSSL-based peers accept what it issues.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { certsInit } from '../../src/tls/pki.ts';
import { hashDir, makeInstances } from '../helpers/dicom-files.ts';
import type { Instance } from '../helpers/dicom-files.ts';
import { echoscu, getscu, rejectTriple, storescp, storescu, stunnelClient } from '../helpers/dcmtk.ts';
import type { DcmtkTls, RunningStorescp } from '../helpers/dcmtk.ts';
import type { RunningGateway } from '../helpers/gateway.ts';
import { startInteropGateway } from '../helpers/interop-config.ts';
import { mintCa } from '../helpers/pki.ts';
import { startOrthanc } from '../helpers/orthanc.ts';
import type { RunningOrthanc } from '../helpers/orthanc.ts';
import { tempDir } from '../helpers/tmp.ts';

const KB = 1024;

let work: { dir: string; cleanup(): Promise<void> };
let certs: string;
let archive: RunningStorescp;
let pacs: RunningOrthanc;
let gw: RunningGateway;
let files: Instance[];

const pair = (name: string): { cert: string; key: string } => ({ cert: join(certs, `${name}.crt`), key: join(certs, `${name}.key`) });
const callerTls = (name: string, profile?: DcmtkTls['profile']): DcmtkTls => ({ ...pair(name), ca: join(certs, 'ca.crt'), ...(profile ? { profile } : {}) });

function assertSame(sent: Instance[], got: Map<string, string>): void {
  assert.equal(got.size, sent.length, 'instance count');
  for (const i of sent) assert.equal(got.get(i.sopInstanceUid), i.datasetSha256, i.path);
}

before(async () => {
  work = await tempDir('dtg-relay-tls-');
  certs = join(work.dir, 'certs');
  await certsInit({ dir: certs, gatewayName: 'GATEWAY', peers: ['MODALITY', 'ARCHIVE', 'PACS'], force: false, days: 2 });
  const ca = join(certs, 'ca.crt');
  [archive, pacs] = await Promise.all([
    storescp({ aet: 'ARCHIVE', tls: { ...pair('ARCHIVE'), ca } }),
    startOrthanc({
      aet: 'TLS_PACS',
      modalities: { gateway: { aet: 'GATEWAY', host: '127.0.0.1', port: 1 } },
      alwaysAllowEcho: false,
      alwaysAllowStore: false,
      tls: { ...pair('PACS'), trusted: ca },
    }),
  ]);
  gw = await startInteropGateway({
    tls: { ...pair('gateway'), ca },
    listeners: [{ name: 'secure', tls: true }, { name: 'lan' }],
    nodes: {
      MODALITY: { reachable: false, certificate: { commonName: 'MODALITY' } },
      LAN_MODALITY: { reachable: false }, // plain caller on the LAN listener
      ARCHIVE: { port: archive.port, tls: true },
      PACS: { port: pacs.dicomPort, tls: true, aeTitle: 'TLS_PACS', callingAeTitle: 'GATEWAY' },
    },
    rules: [{ from: ['MODALITY', 'LAN_MODALITY'], to: ['ARCHIVE', 'PACS'] }],
  });
  files = await makeInstances(join(work.dir, 'files'), { count: 10, patientId: 'TLS-10', bytesPerInstance: [1 * KB, 50 * KB, 900 * KB] });
});

after(async () => {
  await gw?.stop();
  await Promise.all([archive?.stop(), pacs?.stop()]);
  await work?.cleanup();
});

test('echoscu +tls with each DCMTK 3.6.7 profile, TLS on both legs', async (t) => {
  for (const profile of ['+py', '+px', '+pz'] as const) {
    const r = await echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: callerTls('MODALITY', profile) });
    assert.ok(r.ok, `${profile}: ${r.output}`);
    t.diagnostic(`${profile}: ${r.durationMs} ms`);
  }
});

test('storescu +tls -> gateway -> storescp +tls, byte-exact', async () => {
  await archive.clear();
  const r = await storescu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: callerTls('MODALITY'), files: files.map((i) => i.path) });
  assert.ok(r.ok, r.output.slice(-4000));
  assertSame(files, await archive.hashes());
});

test('plain storescu on the LAN listener -> gateway -> Orthanc DICOM TLS, byte-exact', async () => {
  const r = await storescu({ port: gw.port('lan'), aet: 'LAN_MODALITY', aec: 'PACS', files: files.map((i) => i.path) });
  assert.ok(r.ok, r.output.slice(-4000));
  assertSame(files, await pacs.datasetHashes());
});

test('an AE bound to a certificate cannot call on the plain listener: 1/1/3', async () => {
  const r = await echoscu({ port: gw.port('lan'), aet: 'MODALITY', aec: 'ARCHIVE' });
  assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
});

test('getscu through stunnel -> TLS listener -> Orthanc TLS, byte-exact', async () => {
  const out = await tempDir('dtg-tls-get-');
  const tunnel = await stunnelClient({ connectPort: gw.port('secure'), ...pair('MODALITY'), ca: join(certs, 'ca.crt'), checkHost: 'localhost' });
  try {
    const r = await getscu({ port: tunnel.acceptPort, aet: 'MODALITY', aec: 'PACS', level: 'STUDY', keys: { StudyInstanceUID: files[0]!.studyUid }, outDir: out.dir });
    assert.ok(r.ok, r.output.slice(-4000));
    assertSame(files, await hashDir(out.dir));
  } finally {
    await tunnel.stop();
    await out.cleanup();
  }
});

test('a certificate that does not match the calling AE: 1/1/3', async () => {
  // ARCHIVE's certificate is valid (same CA) but MODALITY requires CN=MODALITY.
  const r = await echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: callerTls('ARCHIVE') });
  assert.equal(rejectTriple(r.reject), '1/1/3', r.output);
});

test('no TLS, or a certificate from another CA: the handshake fails', async () => {
  const plain = await echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', timeoutMs: 20_000 });
  assert.equal(plain.ok, false);
  assert.equal(plain.reject, undefined);

  const other = await mintCa(join(work.dir, 'other'));
  const stranger = await other.issue('MODALITY');
  // Trust our CA (so the server side verifies) but present a certificate the gateway cannot chain.
  const r = await echoscu({ port: gw.port('secure'), aet: 'MODALITY', aec: 'ARCHIVE', tls: { ...stranger, ca: join(certs, 'ca.crt') } });
  assert.equal(r.ok, false);
  assert.equal(r.reject, undefined, r.output);
  assert.ok(r.failure, r.output);
});
