// Certificate identity per configured field (CONTRACT nodes.X.certificate: all given must match).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateIdentity } from '../../src/config/types.ts';
import { dnsNameMatches, identityMatches, type PeerIdentity } from '../../src/policy/identity.ts';
import { peer } from './config-helper.ts';

interface Row {
  name: string;
  required: CertificateIdentity;
  peer: PeerIdentity | null;
  ok: boolean;
  mismatch?: RegExp;
}

const full = peer({
  subject: 'CN=cloud-ai, O=Example',
  commonName: 'cloud-ai',
  dnsNames: ['ai.example.org', '*.ai.example.org'],
  uris: ['urn:dicom:ae:CLOUD_AI', 'spiffe://example.org/cloud-ai'],
  ipAddresses: ['203.0.113.5'],
});

const rows: Row[] = [
  // null peer / empty requirement
  { name: 'no certificate never matches', required: { commonName: 'cloud-ai' }, peer: null, ok: false, mismatch: /no client certificate/ },
  { name: 'no certificate, empty requirement', required: {}, peer: null, ok: false },
  { name: 'empty requirement, any certificate', required: {}, peer: full, ok: true },
  // commonName: exact
  { name: 'CN exact', required: { commonName: 'cloud-ai' }, peer: full, ok: true },
  { name: 'CN case differs', required: { commonName: 'Cloud-AI' }, peer: full, ok: false, mismatch: /commonName 'Cloud-AI' required, certificate has 'cloud-ai'/ },
  { name: 'CN prefix only', required: { commonName: 'cloud' }, peer: full, ok: false },
  { name: 'CN missing in certificate', required: { commonName: 'cloud-ai' }, peer: peer({ dnsNames: ['cloud-ai'] }), ok: false, mismatch: /certificate has none/ },
  { name: 'CN is not looked up in DNS SANs', required: { commonName: 'ai.example.org' }, peer: full, ok: false },
  // dnsName: one SAN, case-insensitive, wildcard one label
  { name: 'DNS exact', required: { dnsName: 'ai.example.org' }, peer: full, ok: true },
  { name: 'DNS case-insensitive', required: { dnsName: 'AI.Example.ORG' }, peer: full, ok: true },
  { name: 'DNS trailing dot', required: { dnsName: 'ai.example.org.' }, peer: full, ok: true },
  { name: 'DNS wildcard SAN covers one label', required: { dnsName: 'node1.ai.example.org' }, peer: full, ok: true },
  { name: 'DNS wildcard SAN, case-insensitive', required: { dnsName: 'NODE1.AI.example.org' }, peer: full, ok: true },
  { name: 'DNS wildcard SAN does not cover two labels', required: { dnsName: 'a.node1.ai.example.org' }, peer: full, ok: false },
  { name: 'DNS wildcard SAN does not cover the bare domain', required: { dnsName: 'example.org' }, peer: peer({ dnsNames: ['*.example.org'] }), ok: false },
  { name: 'DNS no SAN matches', required: { dnsName: 'other.example.org' }, peer: full, ok: false, mismatch: /dnsName 'other.example.org' required, certificate has DNS SANs 'ai.example.org', '\*.ai.example.org'/ },
  { name: 'DNS certificate without SANs', required: { dnsName: 'ai.example.org' }, peer: peer({ commonName: 'ai.example.org' }), ok: false, mismatch: /DNS SANs none/ },
  // uri: exact
  { name: 'URI exact, second SAN', required: { uri: 'spiffe://example.org/cloud-ai' }, peer: full, ok: true },
  { name: 'URI case differs', required: { uri: 'urn:dicom:ae:cloud_ai' }, peer: full, ok: false, mismatch: /uri 'urn:dicom:ae:cloud_ai' required/ },
  { name: 'URI trailing slash differs', required: { uri: 'spiffe://example.org/cloud-ai/' }, peer: full, ok: false },
  // all given must match
  { name: 'all three match', required: { commonName: 'cloud-ai', dnsName: 'ai.example.org', uri: 'urn:dicom:ae:CLOUD_AI' }, peer: full, ok: true },
  { name: 'CN and DNS match, URI does not', required: { commonName: 'cloud-ai', dnsName: 'ai.example.org', uri: 'urn:x' }, peer: full, ok: false, mismatch: /uri 'urn:x'/ },
  { name: 'DNS matches, CN does not', required: { commonName: 'other', dnsName: 'ai.example.org' }, peer: full, ok: false, mismatch: /commonName 'other'/ },
];

describe('identityMatches', () => {
  for (const r of rows) {
    it(r.name, () => {
      const got = identityMatches(r.required, r.peer);
      assert.equal(got.ok, r.ok, got.mismatch);
      if (r.ok) assert.equal(got.mismatch, undefined);
      else assert.ok(got.mismatch);
      if (r.mismatch) assert.match(got.mismatch ?? '', r.mismatch);
    });
  }
});

describe('dnsNameMatches', () => {
  const rows: [string, string, boolean][] = [
    ['a.example.org', 'a.example.org', true],
    ['A.EXAMPLE.ORG', 'a.example.org', true],
    ['*.example.org', 'a.example.org', true],
    ['*.example.org', 'A.Example.Org', true],
    ['*.example.org', 'example.org', false],
    ['*.example.org', '.example.org', false],
    ['*.example.org', 'a.b.example.org', false],
    ['*.example.org', 'a.example.com', false],
    ['*.org', 'example.org', false], // too broad
    ['a*.example.org', 'ab.example.org', false], // partial-label wildcard not honoured
    ['*.*.example.org', 'a.b.example.org', false],
    ['b.*.example.org', 'b.a.example.org', false],
    ['*.example.org', '*.example.org', true], // literal equality
    ['a.example.org', '*.example.org', false], // a wildcard requirement is not a pattern
    ['', '', false],
  ];
  for (const [san, name, want] of rows) it(`${san} covers ${name} = ${want}`, () => assert.equal(dnsNameMatches(san, name), want));
});
