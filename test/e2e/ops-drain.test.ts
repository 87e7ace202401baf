// gateway.drain(graceMs) with associations running: /readyz turns 503 "draining", new connections
// are refused, an association that finishes within the grace period ends normally, one that does
// not gets A-ABORT (both sides), and drain() reports the counts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts, isPortOpen } from '../helpers/ports.ts';
import { RawScu, startRawScp, tcpConnect, type RawScp } from '../helpers/ops-peers.ts';
import { scrape, sleep, waitFor } from '../helpers/ops-kit.ts';

const GRACE_MS = 1500;

describe('drain', () => {
  let gw: RunningGateway;
  let pacs: RawScp;
  let lanPort: number;

  before(async () => {
    pacs = await startRawScp();
    const [lan, admin] = (await freePorts(2)) as [number, number];
    lanPort = lan;
    gw = await startGateway(`aeTitle: GATEWAY
listeners:
  - { name: lan, host: 127.0.0.1, port: ${lan} }
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs.port} }
  MODALITY: { host: 127.0.0.1, port: 1 }
rules:
  - { from: [MODALITY], to: [PACS] }
admin: { host: 127.0.0.1, port: ${admin} }
audit: { file: audit.jsonl }
log: { level: silent }
`);
  });

  after(async () => {
    await gw?.stop();
    await pacs?.stop();
  });

  it('refuses new work, lets a finishing association finish, aborts the one that does not', async () => {
    const call = () => RawScu.open({ connect: tcpConnect(lanPort), calledAe: 'PACS', callingAe: 'MODALITY' });
    const finishing = await call();
    const lingering = await call();
    assert.equal(finishing.outcome.kind, 'accepted');
    assert.equal(lingering.outcome.kind, 'accepted');
    assert.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 200);

    const started = Date.now();
    const drained = gw.gateway.drain(GRACE_MS);

    // Not ready, still alive.
    const ready = await fetch(`${gw.adminUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'draining' });
    assert.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200);

    // New connections are refused.
    assert.equal(await isPortOpen(lanPort), false, 'the listener still accepts while draining');
    await assert.rejects(call(), /ECONNREFUSED/);

    // The running association keeps working within the grace period, then releases.
    assert.equal(await finishing.echo(), 0);
    const sent = await finishing.store({ size: 3_000_000, seed: 7 });
    assert.equal(sent.status, 0);
    assert.equal(pacs.stores.at(-1)?.sha256, sent.sha256);
    await sleep(100);
    await finishing.release();
    assert.equal(finishing.abortReceived, null);

    // The other one is aborted at the deadline, towards the caller and the node.
    const result = await drained;
    const took = Date.now() - started;
    assert.deepEqual(result, { finished: 1, aborted: 1 });
    assert.ok(took >= GRACE_MS - 50 && took < GRACE_MS + 2500, `drain took ${took} ms`);
    await lingering.closed;
    assert.deepEqual(lingering.abortReceived, { source: 2, reason: 0 });
    await waitFor(() => pacs.associations.filter((a) => a.aborted).length === 1, 'the node to see A-ABORT');
    assert.equal(pacs.associations.filter((a) => a.released).length, 1);

    const m = await scrape(gw.adminUrl);
    assert.equal(m.get('dicom_gateway_associations_active'), 0);
    const audit = await gw.auditLines();
    assert.equal(audit.filter((l) => l.event === 'association-released').length, 1);
    const aborted = audit.filter((l) => l.event === 'association-aborted');
    assert.equal(aborted.length, 1);
    assert.match(String(aborted[0]!.reason), /grace/);
  });
});
