import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAdmin } from '../../src/admin/app.ts';
import { escapeHtml, html } from '../../src/admin/html.ts';
import { formatAddress, formatBytes, formatDuration, formatTime } from '../../src/admin/status-page.ts';
import { fakeDeps, HOSTILE_AE } from './fake-deps.ts';

describe('escapeHtml', () => {
  it('escapes the five HTML metacharacters and the backtick', () => {
    assert.equal(escapeHtml(`<script>alert("x")</script> & 'y' \``), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; &#96;');
  });
  it('renders null and undefined as empty, numbers as text', () => {
    assert.equal(escapeHtml(null), '');
    assert.equal(escapeHtml(undefined), '');
    assert.equal(escapeHtml(42), '42');
  });
});

describe('html tag', () => {
  it('escapes every value but keeps nested html as markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    const out = html`<p title="${'"onmouseover="x'}">${inner}${['<a>', html`<br>`]}</p>`.toString();
    assert.equal(out, '<p title="&quot;onmouseover=&quot;x"><b>&lt;i&gt;</b>&lt;a&gt;<br></p>');
  });
});

describe('formatters', () => {
  it('formats durations, bytes and times', () => {
    assert.equal(formatDuration(5), '5s');
    assert.equal(formatDuration(125), '2m 05s');
    assert.equal(formatDuration(3 * 3600 + 5 * 60), '3h 05m');
    assert.equal(formatDuration(2 * 86400 + 3600), '2d 1h 0m');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1_572_864), '1.5 MiB');
    assert.equal(formatTime('2026-11-25T15:19:36.123Z'), '2026-11-25 15:19:36 UTC');
    assert.equal(formatTime('not a time'), 'not a time');
    assert.equal(formatAddress('10.1.2.3', 104), '10.1.2.3:104');
    assert.equal(formatAddress('::', 2762), '[::]:2762');
    assert.equal(formatAddress('nat-peer.example', 0), 'nat-peer.example');
  });
});

describe('GET /', () => {
  async function page(init: Parameters<typeof fakeDeps>[0] = {}) {
    const { deps } = fakeDeps(init);
    const app = await buildAdmin(deps);
    const r = await app.inject({ url: '/' });
    await app.close();
    return r;
  }

  it('answers HTML with a strict CSP, no caching, and a 10 s refresh', async () => {
    const r = await page();
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
    assert.doesNotMatch(String(r.headers['content-security-policy']), /script-src/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(r.body, /<meta http-equiv="refresh" content="10">/);
    assert.match(r.body, /^<!doctype html>/);
    const style = /<style>([\s\S]*)<\/style>/.exec(r.body)?.[1] ?? '';
    assert.ok(style.includes('"Segoe UI"'), 'the stylesheet is emitted verbatim, not entity-escaped');
    assert.ok(!style.includes('&'));
  });

  it('needs no token even when admin.token is set', async () => {
    const r = await page({ token: 'secret' });
    assert.equal(r.statusCode, 200);
    assert.ok(!r.body.includes('secret'));
  });

  it('shows the live data of every section', async () => {
    const b = (await page()).body;
    for (const text of [
      'GATEWAY', // gateway AE title
      '0.1.0', // version
      '3h 25m', // uptime
      '0.0.0.0:2762', // listener
      '0.0.0.0:11112',
      'TLS, client cert required',
      '10.1.2.3:104', // node
      'LEGACY_PACS',
      'ai.example.org:2762',
      'behind NAT: not called',
      'unreachable',
      'connect ETIMEDOUT 10.1.5.20:104',
      'C-MOVE', // rule services and DIMSE counts
      'all services',
      'a-000042', // association
      '203.0.113.7:53122',
      'CN=cloud-ai,O=Example AI',
      '1.5 MiB',
      '20.0 KiB',
      'relaying',
      'calling-ae-not-recognized', // rejection
      'calling AE is not a configured node',
      '10.9.9.9:40000',
      'CN=gateway.hospital.example', // certificates
      '9 days left',
      '3650 days left',
    ]) {
      assert.ok(b.includes(text), `page should show ${text}`);
    }
    assert.match(b, /<b>C-FIND<\/b>|C-FIND <b>3<\/b>/);
    assert.match(b, /class="row-warn"/, 'a certificate with < 14 days left is highlighted');
  });

  it('marks the gateway draining and expired certificates', async () => {
    const b = (
      await page({
        phase: 'draining',
        certificates: [{ name: 'gateway', subject: 'CN=gw', notAfter: '2020-01-01T00:00:00.000Z', daysLeft: -3.2 }],
      })
    ).body;
    assert.match(b, /<span class="pill bad">draining<\/span>/);
    assert.match(b, /class="row-bad"/);
    assert.ok(b.includes('expired 4 days ago'));
  });

  it('escapes hostile values: the AE title shows as text, never as markup', async () => {
    const hostileSubject = `CN="><img src=x onerror=alert(2)>`;
    const b = (
      await page({
        associations: [
          {
            id: `id'"<b>`,
            listener: 'secure',
            peerAddress: '1.2.3.4:5',
            callingAe: HOSTILE_AE,
            calledAe: 'PACS',
            node: 'PACS',
            tlsPeerSubject: hostileSubject,
            started: new Date().toISOString(),
            bytesToNode: 0,
            bytesToCaller: 0,
            dimse: { '<C-X>': 1 },
            state: '<u>relaying</u>',
          },
        ],
      })
    ).body;
    assert.ok(!b.includes('<script'), 'no script element in the page');
    assert.ok(!b.includes('<img'), 'no injected element');
    assert.ok(!b.includes('<u>'));
    assert.ok(!b.includes('<C-X>'));
    assert.ok(b.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;'), 'hostile AE title escaped');
    assert.ok(b.includes('CN=&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
    assert.ok(b.includes('id&#39;&quot;&lt;b&gt;'));
  });

  it('keeps a node the runtime still reports after a reload removed it', async () => {
    const { state } = fakeDeps();
    const b = (await page({ nodes: [...state.nodes, { name: 'OLD_NODE', activeAssociations: 2, lastReachable: null }] })).body;
    assert.match(b, /<code>OLD_NODE<\/code>.*removed from config/);
  });

  it('shows empty states instead of empty tables', async () => {
    const b = (await page({ associations: [], rejections: [], certificates: [] })).body;
    assert.ok(b.includes('No active associations.'));
    assert.ok(b.includes('No rejections.'));
    assert.ok(b.includes('No TLS certificates loaded.'));
  });
});
