import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildAdmin } from '../../src/admin/app.ts';
import { REDACTED } from '../../src/admin/plugins/api.ts';
import { fakeDeps, HOSTILE_AE, type FakeState } from './fake-deps.ts';

async function withApp(init: Partial<FakeState>, fn: (app: FastifyInstance, state: FakeState) => Promise<void>): Promise<void> {
  const { deps, state } = fakeDeps(init);
  const app = await buildAdmin(deps);
  try {
    await fn(app, state);
  } finally {
    await app.close();
  }
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('health routes', () => {
  it('GET /healthz answers 200 {"status":"ok"}', () =>
    withApp({}, async (app) => {
      const r = await app.inject({ url: '/healthz' });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { status: 'ok' });
    }));

  it('GET /readyz answers 200 when ready, 503 starting/draining otherwise', () =>
    withApp({}, async (app, state) => {
      let r = await app.inject({ url: '/readyz' });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { status: 'ready' });
      state.phase = 'starting';
      r = await app.inject({ url: '/readyz' });
      assert.equal(r.statusCode, 503);
      assert.deepEqual(r.json(), { status: 'starting' });
      state.phase = 'draining';
      r = await app.inject({ url: '/readyz' });
      assert.equal(r.statusCode, 503);
      assert.deepEqual(r.json(), { status: 'draining' });
    }));

  it('reports starting when deps has no phase()', async () => {
    const { deps } = fakeDeps();
    const app = await buildAdmin({ ...deps, ready: () => false, phase: undefined });
    const r = await app.inject({ url: '/readyz' });
    assert.equal(r.statusCode, 503);
    assert.deepEqual(r.json(), { status: 'starting' });
    await app.close();
  });
});

describe('GET /metrics', () => {
  it('serves the registry in Prometheus text format with every contract metric', () =>
    withApp({}, async (app) => {
      const r = await app.inject({ url: '/metrics' });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      for (const name of [
        'dicom_gateway_associations_total',
        'dicom_gateway_association_rejections_total',
        'dicom_gateway_associations_active',
        'dicom_gateway_bytes_total',
        'dicom_gateway_dimse_requests_total',
        'dicom_gateway_tls_handshake_failures_total',
        'dicom_gateway_certificate_expiry_timestamp_seconds',
        'dicom_gateway_config_reloads_total',
        'dicom_gateway_association_duration_seconds',
      ]) {
        assert.match(r.body, new RegExp(`# TYPE ${name} `), name);
      }
    }));

  it('shows values recorded on the injected handles', async () => {
    const { deps } = fakeDeps();
    deps.metrics.associationsTotal.inc({ listener: 'secure', outcome: 'accepted' }, 3);
    const app = await buildAdmin(deps);
    const r = await app.inject({ url: '/metrics' });
    assert.match(r.body, /dicom_gateway_associations_total\{listener="secure",outcome="accepted"\} 3/);
    await app.close();
  });
});

describe('/api bearer auth', () => {
  const apiRoutes = [
    { method: 'GET' as const, url: '/api/associations' },
    { method: 'GET' as const, url: '/api/status' },
    { method: 'GET' as const, url: '/api/config' },
    { method: 'POST' as const, url: '/api/reload' },
  ];

  it('answers 401 {"error":"unauthorized"} without a token or with a wrong one', () =>
    withApp({ token: 's3cret-token' }, async (app, state) => {
      for (const route of apiRoutes) {
        for (const headers of [{}, bearer('wrong'), bearer('s3cret-toke'), bearer('s3cret-token-and-more'), { authorization: 'Basic czNjcmV0LXRva2Vu' }, { authorization: 's3cret-token' }]) {
          const r = await app.inject({ ...route, headers });
          assert.equal(r.statusCode, 401, `${route.method} ${route.url} ${JSON.stringify(headers)}`);
          assert.deepEqual(r.json(), { error: 'unauthorized' });
          assert.match(String(r.headers['www-authenticate']), /^Bearer/);
        }
      }
      assert.equal(state.reloads, 0, 'an unauthorized reload must not run');
    }));

  it('answers 200 with the right token (scheme case-insensitive)', () =>
    withApp({ token: 's3cret-token' }, async (app) => {
      for (const route of apiRoutes) {
        const r = await app.inject({ ...route, headers: bearer('s3cret-token') });
        assert.equal(r.statusCode, 200, `${route.method} ${route.url}`);
      }
      const r = await app.inject({ url: '/api/associations', headers: { authorization: 'bearer s3cret-token' } });
      assert.equal(r.statusCode, 200);
    }));

  it('needs no token when admin.token is unset', () =>
    withApp({}, async (app) => {
      for (const route of apiRoutes) {
        const r = await app.inject(route);
        assert.equal(r.statusCode, 200, `${route.method} ${route.url}`);
      }
    }));

  it('reads the token per request, so a reload that sets or changes it applies at once', () =>
    withApp({}, async (app, state) => {
      assert.equal((await app.inject({ url: '/api/associations' })).statusCode, 200);
      state.token = 'first';
      assert.equal((await app.inject({ url: '/api/associations' })).statusCode, 401);
      assert.equal((await app.inject({ url: '/api/associations', headers: bearer('first') })).statusCode, 200);
      state.token = 'second';
      assert.equal((await app.inject({ url: '/api/associations', headers: bearer('first') })).statusCode, 401);
    }));

  it('never guards /, /metrics, /healthz and /readyz', () =>
    withApp({ token: 's3cret-token' }, async (app) => {
      for (const url of ['/', '/metrics', '/healthz', '/readyz']) {
        const r = await app.inject({ url });
        assert.equal(r.statusCode, 200, url);
      }
    }));
});

describe('/api routes', () => {
  it('GET /api/associations returns the AssociationInfo array', () =>
    withApp({}, async (app, state) => {
      const r = await app.inject({ url: '/api/associations' });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), state.associations);
    }));

  it('GET /api/associations returns [] when idle', () =>
    withApp({ associations: [] }, async (app) => {
      const r = await app.inject({ url: '/api/associations' });
      assert.deepEqual(r.json(), []);
    }));

  it('POST /api/reload answers 200 with message and formatted warnings', () =>
    withApp(
      {
        reloadResult: {
          ok: true,
          message: 'config reloaded',
          issues: [{ file: '/etc/g.yaml', line: 7, col: 3, path: 'tls.profile', message: 'retired profile', severity: 'warning' }],
        },
      },
      async (app, state) => {
        const r = await app.inject({ method: 'POST', url: '/api/reload' });
        assert.equal(r.statusCode, 200);
        assert.deepEqual(r.json(), { ok: true, message: 'config reloaded', warnings: ['/etc/g.yaml:7:3: tls.profile: warning: retired profile'] });
        assert.equal(state.reloads, 1);
      },
    ));

  it('POST /api/reload answers 400 with FILE:LINE:COL error lines', () =>
    withApp(
      {
        reloadResult: {
          ok: false,
          message: 'config has 2 errors; the old config stays',
          issues: [
            { file: '/etc/g.yaml', line: 12, col: 11, path: 'nodes.PACS.port', message: 'must be an integer 1-65535', severity: 'error' },
            { file: '/etc/g.yaml', line: 20, col: 5, path: 'rules.0.to.0', message: 'unknown node "PAC"', severity: 'error' },
          ],
        },
      },
      async (app) => {
        const r = await app.inject({ method: 'POST', url: '/api/reload', headers: { 'content-type': 'application/json' }, payload: '' });
        assert.equal(r.statusCode, 400);
        const body = r.json();
        assert.equal(body.ok, false);
        assert.deepEqual(body.errors, ['/etc/g.yaml:12:11: nodes.PACS.port: must be an integer 1-65535', '/etc/g.yaml:20:5: rules.0.to.0: unknown node "PAC"']);
        for (const line of body.errors) assert.match(line, /^[^:]+:\d+:\d+: [\w.]+: /);
      },
    ));

  it('POST /api/reload answers 500 when reload() throws', async () => {
    const { deps } = fakeDeps();
    const app = await buildAdmin({ ...deps, reload: async () => Promise.reject(new Error('boom')) });
    const r = await app.inject({ method: 'POST', url: '/api/reload' });
    assert.equal(r.statusCode, 500);
    assert.deepEqual(r.json(), { ok: false, message: 'reload failed: boom', errors: ['boom'] });
    await app.close();
  });

  it('GET /api/config returns the config with nodes as an object and the token redacted', () =>
    withApp({ token: 'do-not-leak' }, async (app) => {
      const r = await app.inject({ url: '/api/config', headers: bearer('do-not-leak') });
      assert.equal(r.statusCode, 200);
      assert.ok(!r.body.includes('do-not-leak'));
      const cfg = r.json();
      assert.equal(cfg.admin.token, REDACTED);
      assert.equal(cfg.aeTitle, 'GATEWAY');
      assert.equal(cfg.nodes.PACS.host, '10.1.2.3');
      assert.equal(cfg.listeners.length, 2);
    }));

  it('GET /api/status returns what the page shows', () =>
    withApp({}, async (app) => {
      const r = await app.inject({ url: '/api/status' });
      assert.equal(r.statusCode, 200);
      const s = r.json();
      assert.equal(s.gateway.aeTitle, 'GATEWAY');
      assert.equal(s.gateway.phase, 'ready');
      assert.equal(s.gateway.version, '0.1.0');
      assert.ok(s.gateway.uptimeSeconds >= 3 * 3600);
      assert.deepEqual(s.listeners.map((l: { name: string }) => l.name), ['secure', 'lan']);
      assert.deepEqual(s.nodes.map((n: { name: string }) => n.name), ['PACS', 'CLOUD_AI', 'MODALITY_CT']);
      assert.equal(s.nodes[0].aeTitle, 'LEGACY_PACS');
      assert.equal(s.nodes[0].activeAssociations, 1);
      assert.equal(s.nodes[1].reachable, false);
      assert.equal(s.nodes[2].lastReachable.ok, false);
      assert.deepEqual(s.rules[1], { from: ['MODALITY_CT'], to: ['PACS'], services: null });
      assert.equal(s.associations[0].id, 'a-000042');
      assert.equal(s.rejections[0].callingAe, HOSTILE_AE);
      assert.equal(s.certificates[0].name, 'gateway');
    }));

  it('unknown paths answer 404 JSON', () =>
    withApp({}, async (app) => {
      const r = await app.inject({ url: '/nope' });
      assert.equal(r.statusCode, 404);
      assert.deepEqual(r.json(), { error: 'not found' });
    }));
});

describe('logging', () => {
  it('logs a refused API call through the given pino logger', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const { deps, state } = fakeDeps();
    state.token = 't';
    const app = await buildAdmin(deps, { logger });
    const r = await app.inject({ url: '/api/associations' });
    assert.equal(r.statusCode, 401);
    await app.close();
    const warn = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
    assert.match(warn?.msg ?? '', /bearer token/);
    assert.ok(!lines.join('').includes('"t"'), 'the token is never logged');
  });
});
