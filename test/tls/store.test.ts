// TlsStore: reload builds, validates, swaps; a broken reload keeps the old material (and live
// connections); the file watcher reloads on change; setSecureContext serves the new certificate.
import assert from 'node:assert/strict';
import { copyFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { TlsConfig } from '../../src/config/types.ts';
import { clientOptions, secureContextOptions, serverOptions } from '../../src/tls/context.ts';
import { issueCertificate } from '../../src/tls/issue.ts';
import { notAfter } from '../../src/tls/material.ts';
import { TlsStore, type ReloadResult } from '../../src/tls/store.ts';
import { mintPki, type TestPki } from './fixtures.ts';

let pki: TestPki;
before(async () => {
  pki = await mintPki();
});
after(async () => {
  await pki.cleanup();
});

let n = 0;
/** A private copy of the gateway material that the test may overwrite. */
async function storeFiles(): Promise<TlsConfig> {
  n++;
  const tls: TlsConfig = {
    cert: join(pki.dir, `store${n}.crt`),
    key: join(pki.dir, `store${n}.key`),
    ca: join(pki.dir, `store${n}-ca.crt`),
    profile: 'bcp195-rfc8996',
  };
  await copyFile(pki.tls.cert, tls.cert);
  await copyFile(pki.tls.key, tls.key);
  await copyFile(pki.tls.ca, tls.ca);
  return tls;
}

/** Writes via temp file + rename, as cert managers and editors do. */
async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

const newLeaf = (keyPem = pki.gateway.keyPem) =>
  issueCertificate({ commonName: 'GATEWAY', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], issuer: pki.ca, keyPem });

describe('TlsStore.reload', () => {
  test('unchanged files: ok, not changed, same material object', async () => {
    const store = await TlsStore.create(await storeFiles());
    const before = store.material;
    assert.deepEqual(await store.reload(), { ok: true, changed: false });
    assert.equal(store.material, before);
  });

  test('a broken certificate keeps the old material and says why; a good one swaps', async () => {
    const tls = await storeFiles();
    const store = await TlsStore.create(tls);
    const old = store.material;
    await replace(tls.cert, 'not a certificate');
    const r = await store.reload();
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /holds no PEM certificate/);
    assert.equal(store.material, old);

    const next = await newLeaf();
    await replace(tls.cert, next.certPem);
    assert.deepEqual(await store.reload(), { ok: true, changed: true });
    assert.equal(store.material.cert.fingerprint256, next.cert.fingerprint256);
    assert.notEqual(store.material, old);
  });

  test('key rotation written file by file: cert first fails (mismatch), then key completes it', async () => {
    const tls = await storeFiles();
    const store = await TlsStore.create(tls);
    const rotated = await newLeaf(pki.client.keyPem);
    await replace(tls.cert, rotated.certPem);
    const r = await store.reload();
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /does not match certificate/);
    assert.equal(store.material.cert.fingerprint256, pki.gateway.cert.fingerprint256);
    await replace(tls.key, rotated.keyPem);
    assert.deepEqual(await store.reload(), { ok: true, changed: true });
    assert.equal(store.material.keyPem, rotated.keyPem);
  });

  test('reload(tls) switches to other files (config reload); a bad new config keeps the old one', async () => {
    const store = await TlsStore.create(await storeFiles());
    const bad = { ...pki.ecTls, ca: pki.tls.ca };
    assert.equal((await store.reload(bad)).ok, false);
    assert.equal(store.config.cert.endsWith('.crt') && !store.config.cert.includes('ec-'), true);
    assert.deepEqual(await store.reload(pki.ecTls), { ok: true, changed: true });
    assert.equal(store.config, pki.ecTls);
    assert.equal(store.material.cert.publicKey.asymmetricKeyType, 'ec');
  });

  test('expiry(): gateway and CA notAfter', async () => {
    const store = await TlsStore.create(pki.tls);
    const e = store.expiry();
    assert.equal(e.gateway.getTime(), notAfter(pki.gateway.cert).getTime());
    assert.equal(e.ca.getTime(), notAfter(pki.ca.cert).getTime());
  });
});

describe('TlsStore.watch', () => {
  test('a changed file triggers one debounced reload; unwatch stops it', async () => {
    const tls = await storeFiles();
    const store = await TlsStore.create(tls);
    const results: ReloadResult[] = [];
    let notify: () => void = () => undefined;
    const unwatch = store.watch(
      (r) => {
        results.push(r);
        notify();
      },
      { intervalMs: 50, debounceMs: 150 },
    );
    // The watchers are unref'd (they must not keep a stopping gateway alive): hold the loop open here.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      const next = await newLeaf();
      const fired = new Promise<void>((resolve) => (notify = resolve));
      await replace(tls.cert, next.certPem);
      await fired;
      assert.deepEqual(results, [{ ok: true, changed: true }]);
      assert.equal(store.material.cert.fingerprint256, next.cert.fingerprint256);

      const broken = new Promise<void>((resolve) => (notify = resolve));
      await replace(tls.key, 'garbage');
      await broken;
      assert.equal(results[1]?.ok, false);
      assert.equal(store.material.cert.fingerprint256, next.cert.fingerprint256);
      unwatch();
      await replace(tls.key, pki.gateway.keyPem);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(results.length, 2);
    } finally {
      unwatch();
      clearInterval(keepAlive);
    }
  });
});

describe('live server: setSecureContext after reload', () => {
  function dial(port: number): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const s = connect({ ...clientOptions(pki.material, 'bcp195-rfc8996', { host: '127.0.0.1' }), port }, () => resolve(s));
      s.on('error', reject);
    });
  }
  const echo = (s: TLSSocket, text: string) =>
    new Promise<string>((resolve) => {
      s.once('data', (d: Buffer) => resolve(d.toString()));
      s.write(text);
    });

  test('new handshakes get the new certificate, the old connection keeps working', async () => {
    const tls = await storeFiles();
    const store = await TlsStore.create(tls);
    const server: Server = createServer(serverOptions(store.material, tls.profile, true), (s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const first = await dial(port);
      assert.equal(first.getPeerCertificate().fingerprint256, pki.gateway.cert.fingerprint256);

      await replace(tls.cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      assert.equal((await store.reload()).ok, false);
      assert.equal(await echo(first, 'still here'), 'still here');

      const next = await newLeaf();
      await replace(tls.cert, next.certPem);
      const r = await store.reload();
      assert.deepEqual(r, { ok: true, changed: true });
      server.setSecureContext(secureContextOptions(store.material, tls.profile, 'server'));

      const second = await dial(port);
      assert.equal(second.getPeerCertificate().fingerprint256, next.cert.fingerprint256);
      assert.equal(await echo(first, 'old conn'), 'old conn');
      assert.equal(await echo(second, 'new conn'), 'new conn');
      first.destroy();
      second.destroy();
    } finally {
      server.close();
    }
  });
});
