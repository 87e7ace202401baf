// Gateway certificate files replaced on disk: new connections get the new certificate (the file
// watcher picks it up), an association opened before keeps working on its old session, and a
// broken replacement (certificate that does not match the key) changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';
import { RawScu, startRawScp, tlsConnect, type RawScp } from '../helpers/ops-peers.ts';
import { mintPki, scrape, sleep, waitFor, type TestPki } from '../helpers/ops-kit.ts';

describe('gateway certificate reload', () => {
  let gw: RunningGateway;
  let pki: TestPki;
  let pacs: RawScp;

  before(async () => {
    pki = await mintPki(['MODALITY']);
    pacs = await startRawScp();
    const [secure, admin] = (await freePorts(2)) as [number, number];
    gw = await startGateway(
      `aeTitle: GATEWAY
tls: { cert: certs/gw.crt, key: certs/gw.key, ca: certs/ca.crt }
listeners:
  - { name: secure, host: 127.0.0.1, port: ${secure}, tls: true }
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs.port} }
  MODALITY: { host: 127.0.0.1, port: 1, certificate: { commonName: MODALITY } }
rules:
  - { from: [MODALITY], to: [PACS] }
admin: { host: 127.0.0.1, port: ${admin} }
log: { level: silent }
`,
      { files: { 'certs/gw.crt': pki.gateway.cert, 'certs/gw.key': pki.gateway.key, 'certs/ca.crt': pki.ca.cert } },
    );
  });

  after(async () => {
    await gw?.stop();
    await pacs?.stop();
  });

  const client = () => ({ ca: pki.ca.cert, cert: pki.clients.MODALITY!.cert, key: pki.clients.MODALITY!.key });
  const open = () => RawScu.open({ connect: tlsConnect(gw.port('secure'), client()), calledAe: 'PACS', callingAe: 'MODALITY' });

  /** The certificate a new caller is shown (then a clean A-RELEASE, so nothing counts as failed). */
  async function presented(): Promise<string> {
    const a = await open();
    assert.equal(a.outcome.kind, 'accepted');
    const fp = (a.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
    await a.release();
    return fp;
  }

  it('serves the new certificate to new callers while the open association keeps going', async () => {
    assert.equal(await presented(), pki.gateway.fingerprint256);
    const long = await open();
    assert.equal((long.socket as tls.TLSSocket).getPeerCertificate().fingerprint256, pki.gateway.fingerprint256);
    assert.equal(await long.echo(), 0);

    // Replace the files as a certificate manager would; no reload call: the watcher sees it.
    await writeFile(join(gw.dir, 'certs/gw.key'), pki.gateway2.key);
    await writeFile(join(gw.dir, 'certs/gw.crt'), pki.gateway2.cert);
    await waitFor(async () => (await presented()) === pki.gateway2.fingerprint256, 'new connections to get the new certificate', 8000, 200);

    // The association from before still works, on its own session.
    const sent = await long.store({ size: 2_000_000, seed: 9 });
    assert.equal(sent.status, 0);
    assert.equal(pacs.stores.at(-1)?.sha256, sent.sha256);
    assert.equal(await long.echo(), 0);
    await long.release();
    assert.equal(long.abortReceived, null);

    // A broken replacement: the first certificate with the second key. Reload says 400, and
    // neither it nor the watcher swaps anything.
    await writeFile(join(gw.dir, 'certs/gw.crt'), pki.gateway.cert);
    const r = await fetch(`${gw.adminUrl}/api/reload`, { method: 'POST' });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { errors: string[] };
    assert.ok(body.errors.length > 0);
    assert.match(body.errors.join('\n'), /gateway\.yaml:\d+:\d+: tls: /);
    await sleep(1800); // past the watcher's poll and debounce
    assert.equal(await presented(), pki.gateway2.fingerprint256);

    const m = await scrape(gw.adminUrl);
    assert.equal(m.get('dicom_gateway_config_reloads_total', { result: 'failure' }), 1);
    assert.equal(m.get('dicom_gateway_associations_total', { outcome: 'failed' }), 0);
    assert.equal(m.get('dicom_gateway_tls_handshake_failures_total'), 0);
  });
});
