// One case per kind of config error: the exact `FILE:LINE:COL: path: message` line, and no other
// error. Each case is a small whole file so the positions can be read off the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/schema.ts';
import { formatIssue } from '../../src/config/types.ts';

const FILE = '/etc/gateway/gateway.yaml';

/** A minimal valid config; `extra` lines are appended, `patch` edits lines (1-based) first. */
function doc(extra: string[] = [], patch: Record<number, string> = {}): string {
  const lines = [
    'aeTitle: GATEWAY', // 1
    'listeners:', // 2
    '  - name: lan', // 3
    '    port: 11112', // 4
    'nodes:', // 5
    '  PACS:', // 6
    '    host: 10.1.2.3', // 7
    '    port: 104', // 8
    'rules:', // 9
    '  - from: ["*"]', // 10
    '    to: [PACS]', // 11
  ];
  for (const [n, text] of Object.entries(patch)) lines[Number(n) - 1] = text;
  return [...lines, ...extra].join('\n') + '\n';
}

const TLS = ['tls:', '  cert: a.crt', '  key: a.key', '  ca: ca.crt']; // lines 12-15 when appended

interface Case {
  name: string;
  text: string;
  env?: Record<string, string>;
  error: string; // the formatted line, without `FILE:`
}

const cases: Case[] = [
  {
    name: 'unknown key at a nested level, with did-you-mean',
    text: doc([], { 8: '    port: 104\n    chekHost: false' }),
    error: '9:5: nodes.PACS.chekHost: unknown key \'chekHost\' (did you mean \'checkHost\'?)',
  },
  {
    name: 'unknown top-level key, with did-you-mean',
    text: doc(['limit:', '  idleMs: 1000']),
    error: '12:1: limit: unknown key \'limit\' (did you mean \'limits\'?)',
  },
  {
    name: 'unknown key far from any known one: no hint',
    text: doc(['log:', '  colour: red']),
    error: '13:3: log.colour: unknown key \'colour\'',
  },
  {
    name: 'wrong type: yes for a boolean',
    text: doc([], { 4: '    port: 11112\n    tls: yes' }),
    error: '5:10: listeners[0].tls: expected true or false, got the string \'yes\' (YAML 1.2: write true or false)',
  },
  {
    name: 'wrong type: a list where a mapping belongs',
    text: doc(['limits: [1, 2]']),
    error: '12:9: limits: expected a mapping (key: value lines), got a list',
  },
  {
    name: 'wrong type: a duration with a unit',
    text: doc(['limits:', '  artimMs: 30s']),
    error: '13:12: limits.artimMs: expected an integer, got the string \'30s\' (durations are plain milliseconds)',
  },
  {
    name: 'bad port',
    text: doc([], { 8: '    port: 70000' }),
    error: '8:11: nodes.PACS.port: 70000 is out of range: a port is 1..65535',
  },
  {
    name: 'port 0',
    text: doc([], { 4: '    port: 0' }),
    error: '4:11: listeners[0].port: 0 is out of range: a port is 1..65535',
  },
  {
    name: 'negative duration',
    text: doc(['limits:', '  idleMs: -1']),
    error: '13:11: limits.idleMs: -1 is out of range: milliseconds, 0..2147483647',
  },
  {
    name: 'limits must be positive',
    text: doc(['limits:', '  maxAssociations: 0']),
    error: '13:20: limits.maxAssociations: 0 is out of range: must be a positive integer',
  },
  {
    name: 'maxPduLength too small',
    text: doc(['limits:', '  maxPduLength: 100']),
    error: '13:17: limits.maxPduLength: 100 is out of range: 0 (pass through) or 4096..4294967295',
  },
  {
    name: 'bad AE title: backslash',
    text: doc([], { 1: 'aeTitle: "GATE\\\\WAY"' }),
    error: "1:10: aeTitle: AE title contains a backslash at position 5: 'GATE?WAY'",
  },
  {
    name: 'bad AE title: too long node name',
    text: doc([], { 6: '  PACS_WITH_A_VERY_LONG_NAME:', 11: '    to: ["*"]' }),
    error: "6:3: nodes.PACS_WITH_A_VERY_LONG_NAME: node name: AE title is 26 characters long, at most 16 are allowed: 'PACS_WITH_A_VERY_LONG_NAME'",
  },
  {
    name: 'bad AE title: all spaces',
    text: doc([], { 1: 'aeTitle: "   "' }),
    error: "1:10: aeTitle: AE title consists only of spaces: ''",
  },
  {
    name: 'bad AE title: control character in node aeTitle',
    text: doc([], { 8: '    port: 104\n    aeTitle: "PA\\tCS"' }),
    error: "9:14: nodes.PACS.aeTitle: AE title contains control character 0x09 at position 3: 'PA?CS'",
  },
  {
    name: 'node named like the gateway',
    text: doc([], { 8: '    port: 104\n  GATEWAY:\n    host: 10.0.0.9\n    port: 104' }),
    error: '9:3: nodes.GATEWAY: \'GATEWAY\' is the gateway\'s own aeTitle; a node needs a different AE title',
  },
  {
    name: 'duplicate key',
    text: doc([], { 8: '    host: 10.1.2.4\n    port: 104' }),
    error: '8:5: nodes.PACS.host: duplicate key \'host\' (first at line 7, column 5)',
  },
  {
    name: 'duplicate listener name',
    text: doc([], { 4: '    port: 11112\n  - name: lan\n    port: 11113' }),
    error: '5:11: listeners[1].name: duplicate listener name \'lan\' (also listeners[0])',
  },
  {
    name: 'two listeners on the same host:port (wildcard overlaps)',
    text: doc([], { 4: '    port: 11112\n  - name: lan2\n    host: 127.0.0.1\n    port: 11112' }),
    error: '7:11: listeners[1].port: 127.0.0.1:11112 is already used by listener \'lan\' (listeners[0])',
  },
  {
    name: 'admin port equal to a listener port',
    text: doc(['admin:', '  port: 11112']),
    error: '13:9: admin.port: 127.0.0.1:11112 is also used by listener \'lan\' (listeners[0])',
  },
  {
    name: 'missing required key',
    text: doc([], { 4: '    host: 0.0.0.0' }),
    error: '3:5: listeners[0].port: missing required key \'port\'',
  },
  {
    name: 'required key without a value',
    text: doc([], { 7: '    host:' }),
    error: '7:5: nodes.PACS.host: \'host\' needs a value',
  },
  {
    name: 'rule to an unknown node',
    text: doc([], { 11: '    to: [PACS, PAC5]' }),
    error: '11:16: rules[0].to[1]: unknown node \'PAC5\' (did you mean \'PACS\'?); list a name from nodes, or "*"',
  },
  {
    name: 'rule with an empty from',
    text: doc([], { 10: '  - from: []' }),
    error: '10:11: rules[0].from: an empty \'from\' list matches no call; list node names or "*"',
  },
  {
    name: 'rule naming the gateway itself',
    text: doc([], { 11: '    to: [GATEWAY]' }),
    error: '11:10: rules[0].to[0]: \'GATEWAY\' is the gateway\'s own AE title; the gateway answers calls to it itself, no rule needed',
  },
  {
    name: 'unknown service',
    text: doc(['    services: [C-ECHO, C-STOR]']),
    error: '12:24: rules[0].services[1]: unknown service \'C-STOR\' (did you mean \'C-STORE\'?); expected one of: C-ECHO, C-FIND, C-MOVE, C-GET, C-STORE',
  },
  {
    name: 'tls listener without a tls section',
    text: doc([], { 4: '    port: 2762\n    tls: true' }),
    error: '5:5: listeners[0].tls: tls: true needs the top-level tls section (cert, key, ca) for this listener',
  },
  {
    name: 'tls node without a tls section',
    text: doc([], { 8: '    port: 2762\n    tls: true\n    certificate: {commonName: PACS}' }),
    error: '9:5: nodes.PACS.tls: tls: true needs the top-level tls section (cert, key, ca) for this node',
  },
  {
    name: 'requireClientCert on a plain listener',
    text: doc([], { 4: '    port: 11112\n    requireClientCert: true' }),
    error: '5:24: listeners[0].requireClientCert: requireClientCert applies only to TLS listeners: set tls: true, or remove it',
  },
  {
    name: 'bad CIDR',
    text: doc([], { 4: '    port: 11112\n    allowFrom: [10.0.0.0/8, 10.0.0.0/33]' }),
    error: '5:29: listeners[0].allowFrom[1]: \'10.0.0.0/33\' is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)',
  },
  {
    name: 'empty allowFrom',
    text: doc([], { 4: '    port: 11112\n    allowFrom: []' }),
    error: '5:16: listeners[0].allowFrom: an empty allowFrom refuses every connection; remove the key to allow any source',
  },
  {
    name: 'undefined ${VAR}: reported at the variable',
    text: doc([], { 7: '    host: pacs.${SITE}.example.org' }),
    error: '7:16: nodes.PACS.host: environment variable SITE is not set (use ${SITE:-default} for a fallback)',
  },
  {
    name: 'malformed ${',
    text: doc([], { 7: '    host: "${SITE"' }),
    error: '7:12: nodes.PACS.host: malformed variable reference \'${SITE\': expected ${NAME} or ${NAME:-default} (write $${ for a literal ${)',
  },
  {
    name: 'bad profile',
    text: doc([...TLS, '  profile: bcp195-rfc8997']),
    error: '16:12: tls.profile: unknown TLS profile \'bcp195-rfc8997\' (did you mean \'bcp195-rfc8996\'?); expected one of: bcp195-rfc8996, bcp195-rfc8996-modified, bcp195-nd, bcp195, bcp195-ex',
  },
  {
    name: 'profile on a plain listener',
    text: doc(TLS, { 4: '    port: 11112\n    profile: bcp195-rfc8996' }),
    error: '5:14: listeners[0].profile: profile applies only to TLS listeners: set tls: true, or remove it',
  },
  {
    name: 'tls section without its key',
    text: doc(['tls:', '  cert: a.crt', '  ca: ca.crt']),
    error: '13:3: tls.key: missing required key \'key\'',
  },
  {
    name: 'certificate with an unknown key',
    text: doc([], { 8: '    port: 104\n    certificate: {cn: x}' }),
    error: '9:19: nodes.PACS.certificate.cn: unknown key \'cn\'',
  },
  {
    name: 'empty certificate',
    text: doc([], { 8: '    port: 104\n    certificate: {}' }),
    error: '9:18: nodes.PACS.certificate: give at least one of commonName, dnsName, uri',
  },
  {
    name: 'bad log level',
    text: doc(['log:', '  level: verbose']),
    error: '13:10: log.level: unknown log level \'verbose\'; expected one of: fatal, error, warn, info, debug, trace, silent',
  },
  {
    name: 'YAML syntax error',
    text: doc([], { 11: '    to: [PACS' }),
    error: '12:1: rules[0].to[0]: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'YAML syntax error: tab indentation',
    text: 'aeTitle: GATEWAY\nlisteners:\n\t- name: lan\n',
    error: '3:1: listeners: YAML syntax: Tabs are not allowed as indentation',
  },
  {
    name: 'two YAML documents',
    text: doc(['---', 'aeTitle: OTHER']),
    error: '12:1: (root): YAML syntax: a second document starts here (\'---\'); the config is one document',
  },
  {
    name: 'a scalar where a list belongs',
    text: doc([], { 11: '    to: PACS' }),
    error: '11:9: rules[0].to: expected a list, got the string \'PACS\' (for one item write [PACS])',
  },
  {
    name: 'empty file',
    text: '# nothing here\n',
    error: '1:1: (root): the config is empty; it needs at least aeTitle, listeners and nodes',
  },
];

for (const c of cases) {
  test(`error: ${c.name}`, () => {
    const res = parseConfig(c.text, { file: FILE, env: c.env ?? {} });
    const errors = res.issues.filter((i) => i.severity === 'error').map(formatIssue);
    assert.deepEqual(errors, [`${FILE}:${c.error}`]);
    assert.equal(res.config, null);
  });
}
