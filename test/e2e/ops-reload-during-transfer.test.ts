// A config reload (POST /api/reload) in the middle of a 200 MB C-STORE: the running transfer ends
// byte-exact, new associations follow the new rules, a broken YAML answers 400 with FILE:LINE:COL
// lines and changes nothing, and listeners come and go while the one that stays keeps its socket.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts, isPortOpen } from '../helpers/ports.ts';
import { RawScu, startRawScp, tcpConnect, type RawScp } from '../helpers/ops-peers.ts';

const SIZE = 200 * 1024 * 1024;

interface Ports {
  lan: number;
  extra: number;
  added: number;
  admin: number;
}

function config(p: Ports, pacs: number, archive: number, phase: 'before' | 'after'): string {
  const listeners =
    phase === 'before'
      ? `  - { name: lan, host: 127.0.0.1, port: ${p.lan} }\n  - { name: extra, host: 127.0.0.1, port: ${p.extra} }`
      : `  - { name: lan, host: 127.0.0.1, port: ${p.lan} }\n  - { name: added, host: 127.0.0.1, port: ${p.added} }`;
  const rules =
    phase === 'before'
      ? '  - { from: [MODALITY], to: [PACS] }\n  - { from: [CT], to: [PACS] }'
      : '  - { from: [MODALITY], to: [PACS] }\n  - { from: [MODALITY], to: [ARCHIVE] }';
  return `aeTitle: GATEWAY
listeners:
${listeners}
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs} }
  ARCHIVE: { host: 127.0.0.1, port: ${archive} }
  MODALITY: { host: 127.0.0.1, port: 1 }
  CT: { host: 127.0.0.1, port: 2 }
rules:
${rules}
admin: { host: 127.0.0.1, port: ${p.admin} }
limits: { artimMs: 5000 }
log: { level: silent }
`;
}

describe('reload during a long transfer', () => {
  let gw: RunningGateway;
  let pacs: RawScp;
  let archive: RawScp;
  let ports: Ports;

  before(async () => {
    pacs = await startRawScp();
    archive = await startRawScp();
    const [lan, extra, added, admin] = (await freePorts(4)) as [number, number, number, number];
    ports = { lan, extra, added, admin };
    gw = await startGateway(config(ports, pacs.port, archive.port, 'before'));
  });

  after(async () => {
    await gw?.stop();
    await pacs?.stop();
    await archive?.stop();
  });

  const call = (port: number, calledAe: string, callingAe: string) => RawScu.open({ connect: tcpConnect(port), calledAe, callingAe });
  const postReload = async () => {
    const r = await fetch(`${gw.adminUrl}/api/reload`, { method: 'POST' });
    return { status: r.status, body: (await r.json()) as { ok: boolean; errors?: string[]; message: string } };
  };

  it('keeps the transfer byte-exact while rules, listeners and a broken file are reloaded', async () => {
    const lanPort = gw.port('lan');
    assert.equal(lanPort, ports.lan);
    // Before: CT may call PACS; MODALITY may not call ARCHIVE.
    const ct = await call(ports.lan, 'PACS', 'CT');
    assert.equal(ct.outcome.kind, 'accepted');
    await ct.release();
    const early = await call(ports.lan, 'ARCHIVE', 'MODALITY');
    assert.deepEqual(early.outcome, { kind: 'rejected', result: 1, source: 1, reason: 3 });
    await early.closed;

    // An association opened on the listener that the reload removes.
    const onExtra = await call(ports.extra, 'PACS', 'MODALITY');
    assert.equal(onExtra.outcome.kind, 'accepted');

    const big = await call(ports.lan, 'PACS', 'MODALITY');
    assert.equal(big.outcome.kind, 'accepted');
    let checks: Promise<void> | null = null;
    const midway = async () => {
      // Everything below happens while the 200 MB data set is half sent.
      await writeFile(join(gw.dir, 'gateway.yaml'), config(ports, pacs.port, archive.port, 'after'));
      const ok = await postReload();
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.ok, true);

      // The removed rule no longer applies to new associations; the added one does.
      const ct2 = await call(ports.lan, 'PACS', 'CT');
      assert.deepEqual(ct2.outcome, { kind: 'rejected', result: 1, source: 1, reason: 3 });
      await ct2.closed;
      const arch = await call(ports.lan, 'ARCHIVE', 'MODALITY');
      assert.equal(arch.outcome.kind, 'accepted');
      assert.equal(await arch.echo(), 0);
      await arch.release();

      // Listener changes: 'extra' is closed, 'added' is open, 'lan' kept its socket and port.
      assert.equal(await isPortOpen(ports.extra), false, 'removed listener still accepts');
      assert.equal(gw.port('added'), ports.added);
      const onAdded = await call(ports.added, 'PACS', 'MODALITY');
      assert.equal(await onAdded.echo(), 0);
      await onAdded.release();
      assert.equal(gw.port('lan'), lanPort);

      // A broken file: 400 with FILE:LINE:COL lines; the running (new) config stays.
      await writeFile(join(gw.dir, 'gateway.yaml'), config(ports, pacs.port, archive.port, 'after').replace('port: 1 }', 'port: one }'));
      const bad = await postReload();
      assert.equal(bad.status, 400);
      assert.equal(bad.body.ok, false);
      assert.ok(bad.body.errors && bad.body.errors.length > 0);
      for (const line of bad.body.errors) assert.match(line, /gateway\.yaml:\d+:\d+: \S+: /);
      assert.ok(bad.body.errors.some((l) => l.includes('nodes.MODALITY.port')), bad.body.errors.join('\n'));
      const still = await call(ports.lan, 'ARCHIVE', 'MODALITY');
      assert.equal(still.outcome.kind, 'accepted');
      await still.release();
      assert.equal(await isPortOpen(ports.added), true);

      // The association whose listener went away keeps working.
      assert.equal(await onExtra.echo(), 0);
    };
    const sent = await big.store({
      size: SIZE,
      seed: 42,
      beforeChunk: (_i, bytesSent) => {
        if (checks || bytesSent < SIZE / 2) return undefined;
        checks = midway();
        return checks;
      },
    });
    assert.ok(checks, 'the reload happened mid-transfer');
    assert.equal(sent.status, 0);
    assert.equal(sent.bytes, SIZE);
    const got = pacs.stores.find((s) => s.sopInstanceUid === '1.2.3.4.42');
    assert.ok(got, 'PACS received the data set');
    assert.equal(got.bytes, SIZE);
    assert.equal(got.sha256, sent.sha256);
    await big.release();
    await onExtra.release();
  });
});
