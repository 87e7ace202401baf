// parseConfig on valid input: every key read, defaults applied, paths resolved, ${VAR} expanded,
// and the few warnings it gives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, parseConfig } from '../../src/config/schema.ts';
import { formatIssue, type GatewayConfig } from '../../src/config/types.ts';

const FILE = '/srv/gw/config/gateway.yaml';

const FULL = `
aeTitle: " GATEWAY "
tls:
  cert: ../certs/gateway.crt
  key: /etc/ssl/private/gateway.key
  ca: ca.crt
  profile: bcp195-rfc8996-modified
listeners:
  - name: secure
    host: 0.0.0.0
    port: 2762
    tls: true
    requireClientCert: true
    profile: bcp195-rfc8996
  - name: lan
    host: "::"
    port: 11112
    tls: false
    allowFrom: [10.0.0.0/8, 192.168.1.7, "fd00::/8", "::1"]
nodes:
  PACS:
    host: 10.1.2.3
    port: 104
    tls: false
    aeTitle: LEGACY_PACS
    callingAeTitle: GATEWAY
    checkHost: true
    rewriteMoveDestination: true
    bridgeGetToMove: true
    reachable: true
  CLOUD_AI:
    host: ai.example.org
    port: 2762
    tls: true
    serverName: ai.example.org
    certificate:
      commonName: cloud-ai
      dnsName: ai.example.org
      uri: spiffe://example.org/ai
    reachable: true
    profile: bcp195-rfc8996
  NAT_PEER:
    host: 203.0.113.9
    reachable: false
    checkHost: false
rules:
  - from: [CLOUD_AI, NAT_PEER]
    to: [PACS]
    services: [C-ECHO, C-FIND, C-MOVE, C-GET, C-STORE]
  - from: ["*"]
    to: [CLOUD_AI]
admin:
  host: 127.0.0.1
  port: 9091
  token: s3cret
limits:
  maxAssociations: 100
  maxAssociationsPerNode: 10
  artimMs: 5000
  connectTimeoutMs: 2000
  idleMs: 60000
  shutdownGraceMs: 1000
  maxPduLength: 65536
audit:
  file: ../logs/audit.jsonl
  syslog:
    host: syslog.example.org
    protocol: tls
log:
  level: debug
`;

const FULL_EXPECTED: GatewayConfig = {
  file: FILE,
  aeTitle: 'GATEWAY',
  tls: { cert: '/srv/gw/certs/gateway.crt', key: '/etc/ssl/private/gateway.key', ca: '/srv/gw/config/ca.crt', profile: 'bcp195-rfc8996-modified' },
  listeners: [
    { name: 'secure', host: '0.0.0.0', port: 2762, tls: true, requireClientCert: true, profile: 'bcp195-rfc8996' },
    { name: 'lan', host: '::', port: 11112, tls: false, requireClientCert: false, allowFrom: ['10.0.0.0/8', '192.168.1.7/32', 'fd00::/8', '::1/128'] },
  ],
  nodes: new Map([
    [
      'PACS',
      {
        name: 'PACS', host: '10.1.2.3', port: 104, tls: false, aeTitle: 'LEGACY_PACS', callingAeTitle: 'GATEWAY',
        checkHost: true, rewriteMoveDestination: true, bridgeGetToMove: true, reachable: true,
      },
    ],
    [
      'CLOUD_AI',
      {
        name: 'CLOUD_AI', host: 'ai.example.org', port: 2762, tls: true, serverName: 'ai.example.org',
        certificate: { commonName: 'cloud-ai', dnsName: 'ai.example.org', uri: 'spiffe://example.org/ai' },
        checkHost: true, rewriteMoveDestination: false, bridgeGetToMove: false, reachable: true, profile: 'bcp195-rfc8996',
      },
    ],
    [
      'NAT_PEER',
      { name: 'NAT_PEER', host: '203.0.113.9', port: 0, tls: false, checkHost: false, rewriteMoveDestination: false, bridgeGetToMove: false, reachable: false },
    ],
  ]),
  rules: [
    { from: ['CLOUD_AI', 'NAT_PEER'], to: ['PACS'], services: ['C-ECHO', 'C-FIND', 'C-MOVE', 'C-GET', 'C-STORE'] },
    { from: ['*'], to: ['CLOUD_AI'] },
  ],
  admin: { host: '127.0.0.1', port: 9091, token: 's3cret' },
  limits: { maxAssociations: 100, maxAssociationsPerNode: 10, artimMs: 5000, connectTimeoutMs: 2000, idleMs: 60000, shutdownGraceMs: 1000, maxPduLength: 65536 },
  audit: { file: '/srv/gw/logs/audit.jsonl', syslog: { host: 'syslog.example.org', port: 6514, protocol: 'tls' } },
  log: { level: 'debug' },
};

const MINIMAL = `aeTitle: GATEWAY
listeners:
  - name: lan
    port: 11112
nodes:
  PACS: {host: 10.1.2.3, port: 104}
rules:
  - {from: ["*"], to: [PACS]}
`;

function parse(text: string, env: Record<string, string> = {}) {
  const res = parseConfig(text, { file: FILE, env });
  return { ...res, lines: res.issues.map(formatIssue) };
}

describe('valid configs', () => {
  test('every key is read, paths resolve against the file folder, AE titles are trimmed', () => {
    const { config, lines } = parse(FULL);
    assert.deepEqual(lines, []);
    assert.deepEqual(config, FULL_EXPECTED);
  });

  test('defaults are applied to a minimal config', () => {
    const { config, lines } = parse(MINIMAL);
    assert.deepEqual(lines, []);
    assert.ok(config);
    assert.equal(config.tls, undefined);
    assert.deepEqual(config.listeners, [{ name: 'lan', host: '0.0.0.0', port: 11112, tls: false, requireClientCert: false }]);
    assert.deepEqual(config.nodes.get('PACS'), {
      name: 'PACS', host: '10.1.2.3', port: 104, tls: false, checkHost: true, rewriteMoveDestination: false, bridgeGetToMove: false, reachable: true,
    });
    assert.deepEqual(config.rules, [{ from: ['*'], to: ['PACS'] }]);
    assert.deepEqual(config.admin, { host: '127.0.0.1', port: 9090 });
    assert.deepEqual(config.limits, DEFAULT_LIMITS);
    assert.deepEqual(config.limits, {
      maxAssociations: 256, maxAssociationsPerNode: 32, artimMs: 30000, connectTimeoutMs: 10000, idleMs: 900000, shutdownGraceMs: 30000, maxPduLength: 0,
    });
    assert.deepEqual(config.audit, {});
    assert.deepEqual(config.log, { level: 'info' });
  });

  test('a TLS listener requires client certificates by default; tls.profile defaults to bcp195-rfc8996', () => {
    const text = MINIMAL.replace('    port: 11112\n', '    port: 2762\n    tls: true\n') + 'tls: {cert: a.crt, key: a.key, ca: ca.crt}\n';
    const { config, lines } = parse(text);
    assert.deepEqual(lines, []);
    assert.equal(config?.listeners[0]?.requireClientCert, true);
    assert.equal(config?.tls?.profile, 'bcp195-rfc8996');
  });

  test('YAML anchors and aliases are followed', () => {
    const text = MINIMAL.replace('  PACS: {host: 10.1.2.3, port: 104}', '  PACS: &pacs {host: 10.1.2.3, port: 104}\n  PACS2: *pacs');
    const { config, lines } = parse(text);
    assert.deepEqual(lines, []);
    assert.equal(config?.nodes.get('PACS2')?.host, '10.1.2.3');
  });

  test('an unquoted number where text is expected is kept as written', () => {
    const { config, lines } = parse(MINIMAL.replace('aeTitle: GATEWAY', 'aeTitle: 0104'));
    assert.deepEqual(lines, []);
    assert.equal(config?.aeTitle, '0104');
  });
});

describe('${VAR} expansion', () => {
  const cases: { name: string; line: string; env: Record<string, string>; pick: (c: GatewayConfig) => unknown; want: unknown }[] = [
    { name: 'a whole value', line: '    host: ${PACS_HOST}', env: { PACS_HOST: '10.9.9.9' }, pick: (c) => c.nodes.get('PACS')?.host, want: '10.9.9.9' },
    { name: 'inside a value', line: '    host: pacs.${SITE}.example.org', env: { SITE: 'north' }, pick: (c) => c.nodes.get('PACS')?.host, want: 'pacs.north.example.org' },
    { name: 'default when unset', line: '    host: ${PACS_HOST:-10.0.0.1}', env: {}, pick: (c) => c.nodes.get('PACS')?.host, want: '10.0.0.1' },
    { name: 'default when empty', line: '    host: ${PACS_HOST:-10.0.0.1}', env: { PACS_HOST: '' }, pick: (c) => c.nodes.get('PACS')?.host, want: '10.0.0.1' },
    { name: 'value wins over default', line: '    host: ${PACS_HOST:-10.0.0.1}', env: { PACS_HOST: '10.0.0.2' }, pick: (c) => c.nodes.get('PACS')?.host, want: '10.0.0.2' },
    { name: 'a number field', line: '    port: ${PACS_PORT}', env: { PACS_PORT: '4242' }, pick: (c) => c.nodes.get('PACS')?.port, want: 4242 },
    { name: 'a boolean field', line: '    tls: ${PACS_TLS:-false}', env: {}, pick: (c) => c.nodes.get('PACS')?.tls, want: false },
    { name: '$${ is a literal ${', line: '    aeTitle: "A$${B}"', env: {}, pick: (c) => c.nodes.get('PACS')?.aeTitle, want: 'A${B}' },
  ];
  const base = MINIMAL.replace('  PACS: {host: 10.1.2.3, port: 104}', '  PACS:\n    host: 10.1.2.3\n    port: 104');
  for (const c of cases) {
    test(c.name, () => {
      const key = c.line.trim().split(':')[0] ?? '';
      const lines = base.split('\n').filter((l, i) => i < 6 || !l.startsWith(`    ${key}:`)); // keep the listener's port
      lines.splice(6, 0, c.line);
      const res = parse(lines.join('\n'), c.env);
      assert.deepEqual(res.lines, []);
      assert.ok(res.config);
      assert.deepEqual(c.pick(res.config), c.want);
    });
  }

  test('an expanded value is still validated, at the value', () => {
    const res = parse(MINIMAL.replace('port: 11112', 'port: ${LAN_PORT}'), { LAN_PORT: 'eleven' });
    assert.deepEqual(res.lines, [`${FILE}:4:11: listeners[0].port: expected an integer, got 'eleven'`]);
  });

  test('admin.token: a set variable becomes the token', () => {
    const res = parse(MINIMAL + 'admin:\n  token: ${GATEWAY_ADMIN_TOKEN}\n', { GATEWAY_ADMIN_TOKEN: 'abc' });
    assert.deepEqual(res.lines, []);
    assert.equal(res.config?.admin.token, 'abc');
  });
});

describe('warnings leave the config usable', () => {
  const TLS = 'tls: {cert: a.crt, key: a.key, ca: ca.crt}\n';
  const cases: { name: string; text: string; warning: string }[] = [
    {
      name: 'admin.token variable not set',
      text: MINIMAL + 'admin:\n  token: ${GATEWAY_ADMIN_TOKEN}\n',
      warning: '10:10: admin.token: warning: GATEWAY_ADMIN_TOKEN is not set: /api/* (including reload) needs no token and is open to local users on 127.0.0.1',
    },
    {
      name: 'admin API off loopback without a token',
      text: MINIMAL + 'admin:\n  host: 0.0.0.0\n',
      warning: '10:9: admin.host: warning: the admin API listens on 0.0.0.0 without a token: anyone who can reach it may call /api/* (set admin.token)',
    },
    {
      name: 'TLS listener without client certificates',
      text: MINIMAL.replace('    port: 11112\n', '    port: 2762\n    tls: true\n    requireClientCert: false\n') + TLS,
      warning: '6:24: listeners[0].requireClientCert: warning: callers are not asked for a certificate, so their AE titles cannot be tied to certificates',
    },
    {
      name: 'TLS node without certificate identity',
      text: MINIMAL.replace('{host: 10.1.2.3, port: 104}', '{host: 10.1.2.3, port: 2762, tls: true}') + TLS,
      warning: '6:43: nodes.PACS.tls: warning: any certificate that tls.ca verifies is accepted as PACS; add certificate: {commonName: ...} to pin its identity',
    },
    {
      name: 'retired TLS profile',
      text: MINIMAL + 'tls: {cert: a.crt, key: a.key, ca: ca.crt, profile: bcp195}\n',
      warning: '9:53: tls.profile: warning: \'bcp195\' is a retired PS3.15 profile; use it only for peers that cannot do bcp195-rfc8996',
    },
    {
      name: 'rewriteMoveDestination on a node the gateway never calls',
      text: MINIMAL.replace('{host: 10.1.2.3, port: 104}', '{host: 10.1.2.3, reachable: false, rewriteMoveDestination: true}').replace('to: [PACS]', 'to: ["*"]'),
      warning: '6:68: nodes.PACS.rewriteMoveDestination: warning: has no effect: the gateway never calls a node with reachable: false',
    },
    {
      name: 'rule to an unreachable node',
      text: MINIMAL.replace('{host: 10.1.2.3, port: 104}', '{host: 10.1.2.3, reachable: false}'),
      warning: '8:24: rules[0].to[0]: warning: node \'PACS\' has reachable: false, so calls to it through this rule always fail',
    },
    {
      name: 'allowFrom entry with host bits set',
      text: MINIMAL.replace('    port: 11112\n', '    port: 11112\n    allowFrom: [10.1.2.3/8]\n'),
      warning: '5:17: listeners[0].allowFrom[0]: warning: \'10.1.2.3/8\' has host bits set beyond /8, so it admits the whole network',
    },
    {
      name: 'no rules',
      text: MINIMAL.replace(/rules:[\s\S]*$/, ''),
      warning: '1:1: rules: warning: no rules: every call to a node is rejected (default deny)',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const res = parse(c.text);
      assert.deepEqual(res.lines, [`${FILE}:${c.warning}`]);
      assert.ok(res.config, 'config usable despite the warning');
    });
  }

  test('a plain listener on a public address next to TLS listeners is fine', () => {
    const text = MINIMAL.replace('    port: 11112\n', '    host: 0.0.0.0\n    port: 11112\n  - {name: secure, port: 2762, tls: true}\n') + TLS;
    assert.deepEqual(parse(text).lines, []);
  });
});
