// The status page in a real browser: Debian's chromium driven by playwright-core. Checks what an
// admin sees (rows, rejection reasons, certificate days left), that a hostile AE title renders as
// text and runs nothing, and leaves a screenshot in .test-work/status-page.png for a human look.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildAdmin } from '../../src/admin/app.ts';
import { fakeDeps, HOSTILE_AE } from '../admin/fake-deps.ts';

const root = join(import.meta.dirname, '..', '..');
const screenshot = join(root, '.test-work', 'status-page.png');

function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    // Fail, never skip: CI installs chromium, so its absence is a broken environment.
    throw new Error('`which chromium` found nothing: install Debian\'s chromium package (apt-get install chromium) to run this test');
  }
}

describe('status page in chromium', { timeout: 120_000 }, () => {
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let url: string;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    const executablePath = chromiumPath();
    const { deps } = fakeDeps({ token: 'admin-token' });
    app = await buildAdmin(deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const res = await page.goto(url, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the gateway header and its state', async () => {
    assert.equal((await page.locator('h1').innerText()).trim(), 'GATEWAY');
    assert.equal(await page.title(), 'GATEWAY · dicom-tls-gateway');
    assert.ok(await page.locator('header').getByText('ready', { exact: true }).isVisible());
    assert.ok(await page.locator('header').getByText('3h 25m').isVisible());
  });

  it('lists listeners, nodes, rules and the active association as table rows', async () => {
    assert.equal(await page.locator('#listeners tbody tr').count(), 2);
    assert.equal(await page.locator('#nodes tbody tr').count(), 3);
    assert.equal(await page.locator('#rules tbody tr').count(), 2);
    assert.equal(await page.locator('#associations tbody tr').count(), 1);

    const lan = page.locator('#listeners tbody tr', { hasText: 'lan' });
    assert.match(await lan.innerText(), /0\.0\.0\.0:11112\s+plain\s+bound/);
    const ct = page.locator('#nodes tbody tr', { hasText: 'MODALITY_CT' });
    assert.ok(await ct.getByText('unreachable').isVisible());
    assert.ok(await ct.getByText('connect ETIMEDOUT 10.1.5.20:104').isVisible());
    assert.ok(await page.locator('#nodes').getByText('behind NAT: not called').isVisible());

    const assoc = page.locator('#associations tbody tr').first();
    const text = await assoc.innerText();
    for (const s of ['a-000042', '203.0.113.7:53122', 'CLOUD_AI', 'PACS', 'CN=cloud-ai,O=Example AI', '1.5 MiB', '20.0 KiB', 'C-FIND 3', 'C-MOVE 1']) {
      assert.ok(text.includes(s), `association row shows ${s}: ${text}`);
    }
  });

  it('shows rejections with their reasons, the hostile AE title as plain text', async () => {
    assert.equal(await page.locator('#rejections tbody tr').count(), 2);
    const row = page.locator('#rejections tbody tr').first();
    assert.ok(await row.getByText('calling-ae-not-recognized').isVisible());
    assert.ok(await row.getByText('calling AE is not a configured node').isVisible());
    assert.ok(await row.getByText(HOSTILE_AE, { exact: true }).isVisible(), 'hostile AE title shown verbatim as text');
    assert.ok(await page.locator('#rejections').getByText('not-allowed').isVisible());
  });

  it('injects no script and runs nothing', async () => {
    assert.equal(await page.locator('script').count(), 0);
    assert.equal(await page.locator('#rejections code script, #rejections img').count(), 0);
    assert.deepEqual(dialogs, [], 'no alert() ran');
    assert.deepEqual(consoleErrors, [], 'no console errors (e.g. CSP violations)');
  });

  it('shows certificate days left and highlights the one expiring within 14 days', async () => {
    const gw = page.locator('#certificates tbody tr', { hasText: 'CN=gateway.hospital.example' });
    assert.ok(await gw.getByText('9 days left').isVisible());
    assert.equal(await gw.getAttribute('class'), 'row-warn');
    const ca = page.locator('#certificates tbody tr', { hasText: 'CN=Hospital Lab CA' });
    assert.ok(await ca.getByText('3650 days left').isVisible());
  });

  it('refreshes itself every 10 s and saves a screenshot', async () => {
    assert.equal(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'), '10');
    await mkdir(join(root, '.test-work'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  });
});
