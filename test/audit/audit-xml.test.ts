import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditXml, classify, escapeXml, hostOf } from '../../src/audit/audit-xml.ts';
import { auditEvent } from '../../src/audit/events.ts';
import { EVENTS, HOSTILE_AE } from './fixtures.ts';

const opts = { sourceId: 'GATEWAY', hostName: 'gw.hospital.example', processId: 4242 };

/**
 * Parser-free well-formedness check: one root, every tag closed in order, attribute values quoted
 * and free of raw '<' '&' (other than entities), text free of raw '<'.
 */
function assertWellFormed(xml: string): void {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><AuditMessage>'), 'declaration and root');
  assert.ok(xml.endsWith('</AuditMessage>'), 'root closed last');
  const body = xml.slice(xml.indexOf('?>') + 2);
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  let roots = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt === -1 ? body.length : lt);
    assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|apos);)/, `bad entity in text ${text}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    assert.ok(m, `malformed tag at ${body.slice(lt, lt + 60)}`);
    const [, close, name, attrs, selfClose] = m;
    assert.doesNotMatch(attrs ?? '', /&(?!(amp|lt|gt|quot|apos);)/, `bad entity in attributes of ${name}`);
    if (close) assert.equal(stack.pop(), name, `closing ${name}`);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name as string);
    } else if (stack.length === 0) roots++;
    i = tag.lastIndex;
  }
  assert.deepEqual(stack, [], 'every element closed');
  assert.equal(roots, 1, 'exactly one root element');
}

const eventId = (xml: string) => /<EventID csd-code="(\d+)" codeSystemName="DCM"/.exec(xml)?.[1];
const eventType = (xml: string) => /<EventTypeCode csd-code="(\d+)" codeSystemName="DCM"/.exec(xml)?.[1];
const outcome = (xml: string) => /EventOutcomeIndicator="(\d+)"/.exec(xml)?.[1];

describe('auditXml', () => {
  const expected: Record<string, [id: string, type: string, outcome: string]> = {
    'gateway-started': ['110100', '110120', '0'],
    'gateway-stopped': ['110100', '110121', '0'],
    'config-reload': ['110100', '110129', '4'],
    'association-accepted': ['110114', '110122', '0'],
    'association-released': ['110114', '110123', '0'],
    'association-aborted': ['110114', '110123', '4'],
    'association-rejected': ['110113', '110126', '8'],
    'tls-failure': ['110113', '110126', '8'],
    'certificate-failure': ['110113', '110126', '8'],
    'protocol-error': ['110114', '110123', '4'],
    'move-destination-rejected': ['110113', '110147', '4'],
    'dimse-request-refused': ['110113', '110147', '4'],
  };

  for (const [name, e] of Object.entries(EVENTS)) {
    it(`${name}: well-formed, EventID ${expected[name]?.[0]}`, () => {
      const xml = auditXml(e, opts);
      assertWellFormed(xml);
      const [id, type, out] = expected[name] as [string, string, string];
      assert.equal(eventId(xml), id);
      assert.equal(eventType(xml), type);
      assert.equal(outcome(xml), out);
      assert.match(xml, /EventDateTime="2026-11-25T10:00:00.000Z"/);
      assert.match(xml, /<AuditSourceIdentification AuditSourceID="GATEWAY"><AuditSourceTypeCode csd-code="4"/);
      assert.match(xml, /<ActiveParticipant [^>]*UserIsRequestor="(true|false)"/);
    });
  }

  it('names the caller as requestor with its IP as NetworkAccessPointID, the called AE as destination', () => {
    const xml = auditXml(EVENTS['association-accepted'], opts);
    assert.match(xml, /<ActiveParticipant UserID="CLOUD_AI" UserName="CN=cloud-ai" UserIsRequestor="true" NetworkAccessPointID="203.0.113.7" NetworkAccessPointTypeCode="2"><RoleIDCode csd-code="110153"/);
    assert.match(xml, /<ActiveParticipant UserID="PACS" UserIsRequestor="false" NetworkAccessPointID="gw.hospital.example" NetworkAccessPointTypeCode="1"><RoleIDCode csd-code="110152"/);
    assert.match(xml, /<ParticipantObjectIdentification [^>]*ParticipantObjectID="PACS"><ParticipantObjectIDTypeCode csd-code="110182"/);
  });

  it('uses the node address from detail.nodeAddress when given', () => {
    const e = { ...EVENTS['association-accepted'], detail: { nodeAddress: '10.1.2.3:104' } };
    assert.match(auditXml(e, opts), /UserID="PACS" UserIsRequestor="false" NetworkAccessPointID="10.1.2.3" NetworkAccessPointTypeCode="2"/);
  });

  it('describes application activity with the gateway as the application participant', () => {
    const xml = auditXml(EVENTS['gateway-started'], opts);
    assert.match(xml, /<ActiveParticipant UserID="GATEWAY" AlternativeUserID="4242" UserIsRequestor="false" NetworkAccessPointID="gw.hospital.example" NetworkAccessPointTypeCode="1"><RoleIDCode csd-code="110150"/);
  });

  it('escapes hostile AE titles in attributes', () => {
    const xml = auditXml(EVENTS['association-rejected'], opts);
    assertWellFormed(xml);
    assert.ok(!xml.includes(HOSTILE_AE));
    assert.ok(xml.includes('UserID="&lt;x&amp;&quot;&apos;&gt;"'));
  });

  it('replaces characters XML cannot carry', () => {
    const e = auditEvent({ event: 'association-rejected', outcome: 'failure', reason: 'not-allowed', callingAe: 'A\u0000B\u001bC', calledAe: 'PACS' });
    const xml = auditXml(e, opts);
    assertWellFormed(xml);
    assert.ok(xml.includes('UserID="A\uFFFDB\uFFFDC"'));
    assert.ok(![...xml].some((ch) => ch.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(ch)), 'no C0 control characters');
  });

  it('puts counts in EventOutcomeDescription', () => {
    const xml = auditXml(EVENTS['association-released'], opts);
    assert.match(xml, /<EventOutcomeDescription>association-released; listener=secure; association=a-1; C-FIND=2; bytesToNode=100; bytesToCaller=2000; durationMs=1500<\/EventOutcomeDescription>/);
  });
});

describe('classify', () => {
  it('maps rejection reasons to node authentication, access control or a failed login', () => {
    const rej = (reason: string) => classify(auditEvent({ event: 'association-rejected', outcome: 'failure', reason }));
    assert.equal(rej('certificate').eventType.code, '110126');
    assert.equal(rej('calling-ae-not-recognized').eventType.code, '110126');
    assert.equal(rej('not-allowed').eventType.code, '110147');
    assert.equal(rej('called-ae-not-recognized').eventType.code, '110147');
    assert.equal(rej('limit').eventId.code, '110114');
    assert.equal(rej('node-unreachable').outcome, '4');
  });
});

describe('helpers', () => {
  it('escapeXml escapes markup characters', () => {
    assert.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });
  it('hostOf strips the port from IPv4, [IPv6] and names', () => {
    assert.equal(hostOf('10.0.0.1:104'), '10.0.0.1');
    assert.equal(hostOf('[2001:db8::1]:4444'), '2001:db8::1');
    assert.equal(hostOf('2001:db8::1'), '2001:db8::1');
    assert.equal(hostOf('pacs.local:104'), 'pacs.local');
    assert.equal(hostOf('pacs.local'), 'pacs.local');
  });
});
