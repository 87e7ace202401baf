// CONTRACT "Association handling", check by check: one row per check and outcome, asserting the
// exact A-ASSOCIATE-RJ result/source/reason (PS3.8 Table 9-21) and the metric reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideAssociation, moveDestinationDecision, ERROR_COMMENT_MAX, type AssociationFacts, type Decision } from '../../src/policy/decide.ts';
import { REJECT_CODES } from '../../src/policy/reject-codes.ts';
import type { PeerIdentity } from '../../src/policy/identity.ts';
import { config, listener, peer, type ConfigInput } from './config-helper.ts';

const PLAIN = listener({ name: 'lan' });
const SECURE = listener({ name: 'secure', tls: true });

// PACS: legacy, plain, static IP. MODALITY: plain, IPv6 host. CLOUD_AI: TLS with certificate
// identity, behind NAT. WORKSTATION: host by DNS name. ANYWHERE: checkHost off. LAPTOP: TLS, no
// certificate identity.
const base: ConfigInput = {
  nodes: {
    PACS: { host: '10.1.2.3', checkHost: true },
    MODALITY: { host: 'fd00::20' },
    CLOUD_AI: { host: 'ai.example.org', tls: true, certificate: { commonName: 'cloud-ai' }, reachable: false },
    CLOUD_DNS: { host: 'dns.example.org', tls: true, certificate: { dnsName: 'dns.example.org', uri: 'urn:ae:CLOUD_DNS' } },
    WORKSTATION: { host: 'ws1.hospital.lan' },
    ANYWHERE: { host: '192.0.2.99', checkHost: false },
    LAPTOP: { host: 'laptop.example.org', tls: true },
    SILENT: { host: '10.9.9.9' },
  },
  rules: [
    { from: ['CLOUD_AI', 'CLOUD_DNS', 'LAPTOP'], to: ['PACS'], services: ['C-ECHO', 'C-FIND', 'C-MOVE'] },
    { from: ['CLOUD_AI'], to: ['PACS'], services: ['C-STORE'] },
    { from: ['PACS'], to: ['CLOUD_AI'] },
    { from: ['*'], to: ['MODALITY'], services: ['C-ECHO'] },
    { from: ['MODALITY', 'WORKSTATION', 'ANYWHERE'], to: ['PACS'] },
    { from: ['PACS'], to: ['SILENT'], services: [] },
  ],
};

function facts(over: Partial<AssociationFacts> = {}): AssociationFacts {
  return {
    listener: PLAIN,
    peerAddress: '10.1.2.3',
    tlsPeer: null,
    calledAeTitle: 'PACS',
    callingAeTitle: 'MODALITY',
    activeTotal: 0,
    activeForNode: () => 0,
    resolvedHosts: new Map([['ws1.hospital.lan', ['10.5.0.7', 'fd00::7']]]),
    ...over,
  };
}

const CLOUD_CERT: PeerIdentity = peer({ commonName: 'cloud-ai', subject: 'CN=cloud-ai, O=Example AI' });
const fromModality = { peerAddress: 'fd00::20', callingAeTitle: 'MODALITY' };
const fromCloud = { listener: SECURE, peerAddress: '203.0.113.5', tlsPeer: CLOUD_CERT, callingAeTitle: 'CLOUD_AI' };

type Expect =
  | { kind: 'reject'; code: keyof typeof REJECT_CODES; rss: [number, number, number]; metric: string; message?: RegExp }
  | { kind: 'accept-node'; node: string; calling: string; services: 'all' | string[] }
  | { kind: 'accept-gateway'; calling: string };

interface Row {
  name: string;
  f: Partial<AssociationFacts>;
  cfg?: ConfigInput;
  expect: Expect;
}

const rows: Row[] = [
  // (1) limits
  {
    name: 'total limit reached',
    f: { ...fromModality, activeTotal: 256 },
    expect: { kind: 'reject', code: 'limit', rss: [2, 3, 2], metric: 'limit', message: /256 of 256/ },
  },
  {
    name: 'total limit with a smaller config',
    cfg: { ...base, maxAssociations: 2 },
    f: { ...fromModality, activeTotal: 3 },
    expect: { kind: 'reject', code: 'limit', rss: [2, 3, 2], metric: 'limit' },
  },
  {
    name: 'one below the total limit passes',
    f: { ...fromModality, activeTotal: 255 },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'MODALITY', services: 'all' },
  },
  {
    name: 'per-node limit reached for the called node',
    f: { ...fromModality, activeForNode: (n) => (n === 'PACS' ? 32 : 0) },
    expect: { kind: 'reject', code: 'limit', rss: [2, 3, 2], metric: 'limit', message: /node 'PACS'/ },
  },
  {
    name: 'per-node limit of another node does not matter',
    f: { ...fromModality, activeForNode: (n) => (n === 'PACS' ? 0 : 99) },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'MODALITY', services: 'all' },
  },
  {
    name: 'order: unknown called AE while over the total limit gets the limit reject',
    f: { ...fromModality, calledAeTitle: 'NOBODY', activeTotal: 1000 },
    expect: { kind: 'reject', code: 'limit', rss: [2, 3, 2], metric: 'limit' },
  },
  {
    name: 'order: unknown calling AE while the called node is full gets the limit reject',
    f: { callingAeTitle: 'STRANGER', activeForNode: () => 32 },
    expect: { kind: 'reject', code: 'limit', rss: [2, 3, 2], metric: 'limit' },
  },
  {
    name: 'per-node limit does not apply to calls to the gateway AE',
    f: { ...fromModality, calledAeTitle: 'GATEWAY', activeForNode: () => 1000 },
    expect: { kind: 'accept-gateway', calling: 'MODALITY' },
  },
  // (2) called AE
  {
    name: 'unknown called AE',
    f: { ...fromModality, calledAeTitle: 'NOBODY' },
    expect: { kind: 'reject', code: 'called-ae-not-recognized', rss: [1, 1, 7], metric: 'called-ae-not-recognized', message: /called AE 'NOBODY'/ },
  },
  {
    name: 'order: unknown called and unknown calling => 1/1/7',
    f: { calledAeTitle: 'NOBODY', callingAeTitle: 'STRANGER' },
    expect: { kind: 'reject', code: 'called-ae-not-recognized', rss: [1, 1, 7], metric: 'called-ae-not-recognized' },
  },
  {
    name: 'called AE compares exactly: case differs',
    f: { ...fromModality, calledAeTitle: 'pacs' },
    expect: { kind: 'reject', code: 'called-ae-not-recognized', rss: [1, 1, 7], metric: 'called-ae-not-recognized' },
  },
  {
    name: 'called AE with padding spaces is trimmed',
    f: { ...fromModality, calledAeTitle: '  PACS          ', callingAeTitle: 'MODALITY        ' },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'MODALITY', services: 'all' },
  },
  {
    name: 'all-spaces called AE is not recognized',
    f: { ...fromModality, calledAeTitle: '                ' },
    expect: { kind: 'reject', code: 'called-ae-not-recognized', rss: [1, 1, 7], metric: 'called-ae-not-recognized' },
  },
  {
    name: 'caller input is made printable in the message',
    f: { ...fromModality, calledAeTitle: 'EVIL\n\\X' },
    expect: { kind: 'reject', code: 'called-ae-not-recognized', rss: [1, 1, 7], metric: 'called-ae-not-recognized', message: /'EVIL\?\?X'/ },
  },
  // (3) calling AE
  {
    name: 'unknown calling AE',
    f: { callingAeTitle: 'FOO' },
    expect: { kind: 'reject', code: 'calling-ae-not-recognized', rss: [1, 1, 3], metric: 'calling-ae-not-recognized', message: /calling AE 'FOO' is not a configured node/ },
  },
  {
    name: 'calling AE equal to the gateway AE is not a node',
    f: { callingAeTitle: 'GATEWAY' },
    expect: { kind: 'reject', code: 'calling-ae-not-recognized', rss: [1, 1, 3], metric: 'calling-ae-not-recognized' },
  },
  {
    name: 'certificate: matching CN on a TLS listener',
    f: { ...fromCloud },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'CLOUD_AI', services: ['C-ECHO', 'C-FIND', 'C-MOVE', 'C-STORE'] },
  },
  {
    name: 'certificate: wrong CN',
    f: { ...fromCloud, tlsPeer: peer({ commonName: 'intruder', subject: 'CN=intruder, O=Elsewhere' }) },
    expect: { kind: 'reject', code: 'certificate', rss: [1, 1, 3], metric: 'certificate', message: /CN=intruder, O=Elsewhere.*'CLOUD_AI'/ },
  },
  {
    name: 'certificate: TLS listener without client certificate',
    f: { ...fromCloud, listener: listener({ name: 'secure-optional', tls: true, requireClientCert: false }), tlsPeer: null },
    expect: { kind: 'reject', code: 'certificate', rss: [1, 1, 3], metric: 'certificate', message: /'CLOUD_AI' requires a client certificate but none/ },
  },
  {
    name: 'certificate: node with a certificate identity calling on a plain listener',
    f: { ...fromCloud, listener: PLAIN, tlsPeer: null, peerAddress: '203.0.113.5' },
    expect: { kind: 'reject', code: 'certificate', rss: [1, 1, 3], metric: 'certificate', message: /plain listener 'lan'/ },
  },
  {
    name: 'certificate: dnsName and uri both match',
    f: { listener: SECURE, callingAeTitle: 'CLOUD_DNS', tlsPeer: peer({ dnsNames: ['*.example.org'], uris: ['urn:ae:CLOUD_DNS'] }) },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'CLOUD_DNS', services: ['C-ECHO', 'C-FIND', 'C-MOVE'] },
  },
  {
    name: 'certificate: dnsName matches but uri does not (all given must match)',
    f: { listener: SECURE, callingAeTitle: 'CLOUD_DNS', tlsPeer: peer({ dnsNames: ['dns.example.org'], uris: ['urn:ae:OTHER'] }) },
    expect: { kind: 'reject', code: 'certificate', rss: [1, 1, 3], metric: 'certificate', message: /uri 'urn:ae:CLOUD_DNS'/ },
  },
  {
    name: 'TLS node without certificate identity: any CA-verified certificate',
    f: { listener: SECURE, callingAeTitle: 'LAPTOP', peerAddress: '198.51.100.1', tlsPeer: peer({ commonName: 'whoever' }) },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'LAPTOP', services: ['C-ECHO', 'C-FIND', 'C-MOVE'] },
  },
  {
    name: 'checkHost is not applied on TLS listeners',
    f: { listener: SECURE, callingAeTitle: 'MODALITY', peerAddress: '198.51.100.1', tlsPeer: peer() },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'MODALITY', services: 'all' },
  },
  {
    name: 'checkHost: IPv6 literal host, same address',
    f: { callingAeTitle: 'MODALITY', peerAddress: 'fd00:0::20' },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'MODALITY', services: 'all' },
  },
  {
    name: 'checkHost: IPv6 literal host, other address',
    f: { callingAeTitle: 'MODALITY', peerAddress: 'fd00::21' },
    expect: {
      kind: 'reject',
      code: 'source-address',
      rss: [1, 1, 3],
      metric: 'calling-ae-not-recognized',
      message: /source address fd00::21 did not match/,
    },
  },
  {
    name: 'checkHost: IPv4 host, peer reported IPv4-mapped',
    f: { calledAeTitle: 'CLOUD_AI', callingAeTitle: 'PACS', peerAddress: '::ffff:10.1.2.3' },
    expect: { kind: 'reject', code: 'node-unreachable', rss: [2, 3, 1], metric: 'node-unreachable' },
  },
  {
    name: 'checkHost: IPv4 host, other address',
    f: { calledAeTitle: 'MODALITY', callingAeTitle: 'PACS', peerAddress: '10.1.2.4' },
    expect: { kind: 'reject', code: 'source-address', rss: [1, 1, 3], metric: 'calling-ae-not-recognized', message: /source address 10\.1\.2\.4 did not match/ },
  },
  {
    name: 'checkHost: DNS host resolved, address among them',
    f: { callingAeTitle: 'WORKSTATION', peerAddress: '::ffff:10.5.0.7' },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'WORKSTATION', services: 'all' },
  },
  {
    name: 'checkHost: DNS host resolved, address not among them',
    f: { callingAeTitle: 'WORKSTATION', peerAddress: '10.5.0.8' },
    expect: { kind: 'reject', code: 'source-address', rss: [1, 1, 3], metric: 'calling-ae-not-recognized', message: /resolves to 10\.5\.0\.7, fd00::7/ },
  },
  {
    name: 'checkHost: DNS host not resolved => reject',
    f: { callingAeTitle: 'WORKSTATION', peerAddress: '10.5.0.7', resolvedHosts: new Map() },
    expect: { kind: 'reject', code: 'source-address', rss: [1, 1, 3], metric: 'calling-ae-not-recognized', message: /could not be resolved/ },
  },
  {
    name: 'checkHost: DNS host, no resolvedHosts given => reject',
    f: { callingAeTitle: 'WORKSTATION', peerAddress: '10.5.0.7', resolvedHosts: undefined },
    expect: { kind: 'reject', code: 'source-address', rss: [1, 1, 3], metric: 'calling-ae-not-recognized' },
  },
  {
    name: 'checkHost: false => any address',
    f: { callingAeTitle: 'ANYWHERE', peerAddress: '172.16.0.1' },
    expect: { kind: 'accept-node', node: 'PACS', calling: 'ANYWHERE', services: 'all' },
  },
  {
    name: 'order: calling AE failure beats missing rule',
    f: { calledAeTitle: 'LAPTOP', callingAeTitle: 'MODALITY', peerAddress: '10.0.0.1' },
    expect: { kind: 'reject', code: 'source-address', rss: [1, 1, 3], metric: 'calling-ae-not-recognized' },
  },
  // (4) the gateway's own AE
  {
    name: 'gateway AE: accepted without any rule',
    f: { ...fromModality, calledAeTitle: 'GATEWAY' },
    cfg: { ...base, rules: [] },
    expect: { kind: 'accept-gateway', calling: 'MODALITY' },
  },
  {
    name: 'gateway AE: padded',
    f: { ...fromCloud, calledAeTitle: 'GATEWAY         ' },
    expect: { kind: 'accept-gateway', calling: 'CLOUD_AI' },
  },
  {
    name: 'gateway AE: calling node checks still apply',
    f: { ...fromCloud, calledAeTitle: 'GATEWAY', tlsPeer: peer({ commonName: 'intruder' }) },
    expect: { kind: 'reject', code: 'certificate', rss: [1, 1, 3], metric: 'certificate' },
  },
  {
    name: 'gateway AE wins over a node of the same name',
    cfg: { ...base, nodes: { ...base.nodes, GATEWAY: { host: '10.0.0.9' } } },
    f: { ...fromModality, calledAeTitle: 'GATEWAY' },
    expect: { kind: 'accept-gateway', calling: 'MODALITY' },
  },
  // (5) rules
  {
    name: 'no rule from calling to called',
    f: { calledAeTitle: 'LAPTOP', callingAeTitle: 'PACS', peerAddress: '10.1.2.3' },
    expect: { kind: 'reject', code: 'not-allowed', rss: [1, 1, 3], metric: 'not-allowed', message: /no rule allows calling AE 'PACS' to call 'LAPTOP'/ },
  },
  {
    name: 'rule direction matters',
    f: { ...fromCloud, calledAeTitle: 'MODALITY', callingAeTitle: 'PACS', listener: PLAIN, tlsPeer: null, peerAddress: '10.1.2.3' },
    expect: { kind: 'accept-node', node: 'MODALITY', calling: 'PACS', services: ['C-ECHO'] },
  },
  {
    name: "'*' in from matches any node",
    f: { listener: SECURE, calledAeTitle: 'MODALITY', callingAeTitle: 'LAPTOP', tlsPeer: peer() },
    expect: { kind: 'accept-node', node: 'MODALITY', calling: 'LAPTOP', services: ['C-ECHO'] },
  },
  {
    name: 'a rule with services: [] allows nothing',
    f: { calledAeTitle: 'SILENT', callingAeTitle: 'PACS' },
    expect: { kind: 'reject', code: 'not-allowed', rss: [1, 1, 3], metric: 'not-allowed', message: /no services/ },
  },
  {
    name: 'default deny with no rules',
    cfg: { ...base, rules: [] },
    f: { ...fromModality },
    expect: { kind: 'reject', code: 'not-allowed', rss: [1, 1, 3], metric: 'not-allowed' },
  },
  // (6) reachable
  {
    name: 'called node reachable: false',
    f: { calledAeTitle: 'CLOUD_AI', callingAeTitle: 'PACS' },
    expect: { kind: 'reject', code: 'node-unreachable', rss: [2, 3, 1], metric: 'node-unreachable', message: /'CLOUD_AI' is not reachable/ },
  },
  {
    name: 'order: missing rule beats reachable: false',
    f: { calledAeTitle: 'CLOUD_AI', callingAeTitle: 'MODALITY', peerAddress: 'fd00::20' },
    expect: { kind: 'reject', code: 'not-allowed', rss: [1, 1, 3], metric: 'not-allowed' },
  },
];

function check(d: Decision, e: Expect): void {
  if (e.kind === 'reject') {
    assert.equal(d.kind, 'reject', `expected reject, got ${JSON.stringify(d.kind)}`);
    if (d.kind !== 'reject') return;
    assert.deepEqual([d.result, d.source, d.reason], e.rss);
    assert.equal(d.metricReason, e.metric);
    const c = REJECT_CODES[e.code];
    assert.deepEqual([c.result, c.source, c.reason, c.metricReason], [d.result, d.source, d.reason, d.metricReason]);
    assert.ok(d.message.length > 0);
    if (e.message) assert.match(d.message, e.message);
  } else if (e.kind === 'accept-node') {
    assert.equal(d.kind, 'accept-node', d.kind === 'reject' ? d.message : d.kind);
    if (d.kind !== 'accept-node') return;
    assert.equal(d.node.name, e.node);
    assert.equal(d.callingNode.name, e.calling);
    if (e.services === 'all') assert.equal(d.services, 'all');
    else {
      assert.notEqual(d.services, 'all');
      assert.deepEqual([...(d.services as Set<string>)].sort(), [...e.services].sort());
    }
  } else {
    assert.equal(d.kind, 'accept-gateway', d.kind === 'reject' ? d.message : d.kind);
    if (d.kind !== 'accept-gateway') return;
    assert.equal(d.callingNode.name, e.calling);
  }
}

describe('decideAssociation', () => {
  for (const row of rows) {
    it(row.name, () => {
      check(decideAssociation(facts(row.f), config(row.cfg ?? base)), row.expect);
    });
  }

  it('is pure: same facts, same decision, config untouched', () => {
    const cfg = config(base);
    const before = JSON.stringify([...cfg.nodes.entries()]) + JSON.stringify(cfg.rules);
    const a = decideAssociation(facts(), cfg);
    const b = decideAssociation(facts(), cfg);
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify([...cfg.nodes.entries()]) + JSON.stringify(cfg.rules), before);
  });
});

describe('moveDestinationDecision', () => {
  const cfg = config({
    nodes: {
      PACS: { host: '10.1.2.3', rewriteMoveDestination: true },
      VIEWER: { host: '10.1.2.4' },
      CLOUD_AI: { host: 'ai.example.org', tls: true, reachable: false },
      ARCHIVE: { host: '10.1.2.5' },
      FINDONLY: { host: '10.1.2.6' },
      ABCDEFGHIJKLMNOP: { host: '10.1.2.7' },
    },
    rules: [
      { from: ['PACS'], to: ['VIEWER', 'CLOUD_AI'] },
      { from: ['PACS'], to: ['ARCHIVE'], services: ['C-ECHO'] },
      { from: ['PACS'], to: ['ARCHIVE'], services: ['C-STORE'] },
      { from: ['PACS'], to: ['FINDONLY'], services: ['C-FIND', 'C-MOVE'] },
      { from: ['VIEWER'], to: ['PACS'] },
    ],
  });
  const rows: { name: string; moving: string; dest: string; ok: boolean; node?: string; comment?: RegExp }[] = [
    { name: 'known, reachable, rule without services', moving: 'PACS', dest: 'VIEWER', ok: true, node: 'VIEWER' },
    { name: 'padded destination is trimmed', moving: 'PACS', dest: 'VIEWER  ', ok: true, node: 'VIEWER' },
    { name: 'C-STORE from the union of two rules', moving: 'PACS', dest: 'ARCHIVE', ok: true, node: 'ARCHIVE' },
    { name: 'unknown destination', moving: 'PACS', dest: 'NOBODY', ok: false, comment: /'NOBODY' is not a known node/ },
    { name: 'destination case differs', moving: 'PACS', dest: 'viewer', ok: false, comment: /not a known node/ },
    { name: 'the gateway itself is not a destination', moving: 'PACS', dest: 'GATEWAY', ok: false, comment: /not a known node/ },
    { name: 'destination behind NAT', moving: 'PACS', dest: 'CLOUD_AI', ok: false, comment: /'CLOUD_AI' is not reachable/ },
    { name: 'no rule moving -> destination', moving: 'VIEWER', dest: 'ARCHIVE', ok: false, comment: /No rule allows VIEWER to store to 'ARCHIVE'/ },
    { name: 'rule without C-STORE', moving: 'PACS', dest: 'FINDONLY', ok: false, comment: /does not allow C-STORE/ },
    { name: 'rule direction: destination -> moving does not count', moving: 'ARCHIVE', dest: 'PACS', ok: false, comment: /No rule/ },
    { name: 'long names stay within 64 chars', moving: 'ABCDEFGHIJKLMNOP', dest: 'ABCDEFGHIJKLMNOP', ok: false, comment: /No rule/ },
    { name: 'hostile destination is sanitised and capped', moving: 'PACS', dest: 'X\\Y\r\n' + 'Z'.repeat(40), ok: false, comment: /'X\?Y\?\?Z+' is/ },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const d = moveDestinationDecision(cfg, r.moving, r.dest);
      assert.equal(d.ok, r.ok);
      if (d.ok) assert.equal(d.node.name, r.node);
      else {
        assert.ok(d.comment.length <= ERROR_COMMENT_MAX, `${d.comment.length} chars`);
        // VR LO: no backslash, no control characters (PS3.5 §6.2)
        assert.ok([...d.comment].every((ch) => ch >= ' ' && ch <= '~' && ch !== '\\'), d.comment);
        if (r.comment) assert.match(d.comment, r.comment);
      }
    });
  }
});

describe('calling node by its real aeTitle', () => {
  it('a node calling with its real aeTitle (not its node name) is recognised as that node', () => {
    const cfg = config({ nodes: { PACS: { host: '10.1.2.3', aeTitle: 'ORTHANC' } } });
    const d = decideAssociation(
      { listener: listener(), peerAddress: '10.1.2.3', tlsPeer: null, calledAeTitle: cfg.aeTitle, callingAeTitle: 'ORTHANC', activeTotal: 0, activeForNode: () => 0 },
      cfg,
    );
    assert.equal(d.kind, 'accept-gateway');
    assert.equal(d.kind === 'accept-gateway' && d.callingNode.name, 'PACS');
  });
});
