// admin.token from ${VAR}: /api/* needs the bearer token against a running gateway, and with it
// /api/associations shows the live association with its bytes and DIMSE counts; /healthz,
// /metrics and / stay open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';
import { RawScu, startRawScp, tcpConnect, type RawScp } from '../helpers/ops-peers.ts';
import { waitFor } from '../helpers/ops-kit.ts';

const TOKEN = 'ops-e2e-token-Zq8w';

interface AssocRow {
  id: string;
  listener: string;
  peerAddress: string;
  callingAe: string;
  calledAe: string;
  node: string | null;
  bytesToNode: number;
  bytesToCaller: number;
  dimse: Record<string, number>;
}

describe('admin token against a running gateway', () => {
  let gw: RunningGateway;
  let pacs: RawScp;
  let lanPort: number;

  before(async () => {
    pacs = await startRawScp();
    const [lan, admin] = (await freePorts(2)) as [number, number];
    lanPort = lan;
    gw = await startGateway(
      `aeTitle: GATEWAY
listeners:
  - { name: lan, host: 127.0.0.1, port: ${lan} }
nodes:
  PACS: { host: 127.0.0.1, port: ${pacs.port} }
  MODALITY: { host: 127.0.0.1, port: 1 }
rules:
  - { from: [MODALITY], to: [PACS] }
admin:
  host: 127.0.0.1
  port: ${admin}
  token: \${OPS_E2E_ADMIN_TOKEN}
log: { level: silent }
`,
      { env: { OPS_E2E_ADMIN_TOKEN: TOKEN } },
    );
  });

  after(async () => {
    await gw?.stop();
    await pacs?.stop();
  });

  it('answers 401 without the token and lists the live association with it', async () => {
    const a = await RawScu.open({ connect: tcpConnect(lanPort), calledAe: 'PACS', callingAe: 'MODALITY' });
    assert.equal(a.outcome.kind, 'accepted');
    assert.equal(await a.echo(), 0);
    assert.equal((await a.store({ size: 100_000, seed: 5 })).status, 0);
    assert.equal((await a.store({ size: 70_000, seed: 6 })).status, 0);

    const url = `${gw.adminUrl}/api/associations`;
    const none = await fetch(url);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${gw.adminUrl}/api/reload`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${gw.adminUrl}/api/config`)).status, 401);

    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    const rows = (await ok.json()) as AssocRow[];
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.listener, 'lan');
    assert.equal(row.callingAe, 'MODALITY');
    assert.equal(row.calledAe, 'PACS');
    assert.equal(row.node, 'PACS');
    assert.match(row.peerAddress, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(row.dimse, { 'C-ECHO': 1, 'C-STORE': 2 });
    // Everything relayed so far, as the peers counted it.
    await waitFor(() => pacs.counters.bytesIn > 170_000, 'the node to get the data');
    const again = (await (await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as AssocRow[];
    assert.equal(again[0]!.bytesToNode, pacs.counters.bytesIn);
    assert.equal(again[0]!.bytesToCaller, a.counters.bytesIn);

    // Open endpoints.
    const health = await fetch(`${gw.adminUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const metrics = await fetch(`${gw.adminUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /dicom_gateway_associations_active\{listener="lan"\} 1/);
    const page = await fetch(`${gw.adminUrl}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.ok(html.includes('MODALITY') && html.includes('PACS'));
    assert.ok(!html.includes(TOKEN), 'the status page shows the token');

    await a.release();
    const empty = (await (await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as AssocRow[];
    assert.deepEqual(empty, []);
    const reload = await fetch(`${gw.adminUrl}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(reload.status, 200);
  });
});
