// rules: evaluation and the presentation-context filter (CONTRACT "Association handling":
// contexts outside the rule's services are rejected as abstract-syntax-not-supported).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DimseServiceName, RuleConfig } from '../../src/config/types.ts';
import type { PresentationContextRq, RoleSelection } from '../../src/ul/types.ts';
import { allowedServices, filterPresentationContexts, type AllowedServices } from '../../src/policy/rules.ts';

const R = (from: string[], to: string[], services?: DimseServiceName[]): RuleConfig => (services ? { from, to, services } : { from, to });

describe('allowedServices', () => {
  const rules: RuleConfig[] = [
    R(['CLOUD_AI'], ['PACS'], ['C-ECHO', 'C-FIND']),
    R(['CLOUD_AI', 'OTHER'], ['PACS'], ['C-MOVE', 'C-FIND']),
    R(['*'], ['ECHO_ONLY'], ['C-ECHO']),
    R(['MODALITY'], ['PACS']),
    R(['MODALITY'], ['PACS'], ['C-STORE']),
    R(['ADMIN'], ['*']),
    R(['EMPTY'], ['PACS'], []),
  ];
  const cfg = { rules };
  const rows: [string, string, string, 'all' | DimseServiceName[] | null][] = [
    ['union over matching rules', 'CLOUD_AI', 'PACS', ['C-ECHO', 'C-FIND', 'C-MOVE']],
    ['one of several from entries', 'OTHER', 'PACS', ['C-FIND', 'C-MOVE']],
    ['no rule matches', 'PACS', 'CLOUD_AI', null],
    ['direction matters', 'PACS', 'MODALITY', null],
    ["'*' in from = any node", 'ANYONE', 'ECHO_ONLY', ['C-ECHO']],
    ["'*' in to = any node", 'ADMIN', 'ECHO_ONLY', 'all'],
    ['a rule without services = all, even with another restricted rule', 'MODALITY', 'PACS', 'all'],
    ['a rule with services: [] matches but allows nothing', 'EMPTY', 'PACS', []],
    ['names are trimmed', 'CLOUD_AI  ', ' PACS', ['C-ECHO', 'C-FIND', 'C-MOVE']],
    ['names are case-sensitive', 'cloud_ai', 'PACS', null],
  ];
  for (const [name, from, to, want] of rows) {
    it(name, () => {
      const got = allowedServices(cfg, from, to);
      if (want === null || want === 'all') assert.equal(got, want);
      else {
        assert.ok(got instanceof Set);
        assert.deepEqual([...got].sort(), [...want].sort());
      }
    });
  }
  it('no rules = deny', () => assert.equal(allowedServices({ rules: [] }, 'A', 'B'), null));
});

const VERIFICATION = '1.2.840.10008.1.1';
const CT_STORE = '1.2.840.10008.5.1.4.1.1.2';
const MR_STORE = '1.2.840.10008.5.1.4.1.1.4';
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STORAGE_COMMITMENT = '1.2.840.10008.1.20.1'; // N-ACTION/N-EVENT-REPORT: none of the five
const TS = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];

const pcs: PresentationContextRq[] = [
  { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: TS },
  { id: 3, abstractSyntax: STUDY_FIND, transferSyntaxes: TS },
  { id: 5, abstractSyntax: STUDY_MOVE, transferSyntaxes: TS },
  { id: 7, abstractSyntax: STUDY_GET, transferSyntaxes: TS },
  { id: 9, abstractSyntax: CT_STORE, transferSyntaxes: TS },
  { id: 11, abstractSyntax: MR_STORE, transferSyntaxes: TS },
  { id: 13, abstractSyntax: STORAGE_COMMITMENT, transferSyntaxes: TS },
  { id: 15, abstractSyntax: '1.2.3.4.5.6.7', transferSyntaxes: TS },
];

describe('filterPresentationContexts', () => {
  const set = (...s: DimseServiceName[]): AllowedServices => new Set(s);
  const rows: { name: string; allowed: AllowedServices; roles?: RoleSelection[]; proposed: number[]; rejected: number[] }[] = [
    { name: "'all' proposes everything, unknown syntaxes included", allowed: 'all', proposed: [1, 3, 5, 7, 9, 11, 13, 15], rejected: [] },
    { name: 'C-ECHO only', allowed: set('C-ECHO'), proposed: [1], rejected: [3, 5, 7, 9, 11, 13, 15] },
    { name: 'query/retrieve without storage', allowed: set('C-ECHO', 'C-FIND', 'C-MOVE'), proposed: [1, 3, 5], rejected: [7, 9, 11, 13, 15] },
    { name: 'C-STORE covers every storage class', allowed: set('C-STORE'), proposed: [9, 11], rejected: [1, 3, 5, 7, 13, 15] },
    { name: 'all five named: non-DIMSE-C syntaxes still rejected', allowed: set('C-ECHO', 'C-FIND', 'C-MOVE', 'C-GET', 'C-STORE'), proposed: [1, 3, 5, 7, 9, 11], rejected: [13, 15] },
    { name: 'empty set rejects all', allowed: set(), proposed: [], rejected: [1, 3, 5, 7, 9, 11, 13, 15] },
    {
      name: 'C-GET keeps storage contexts the caller takes only the SCP role for',
      allowed: set('C-GET'),
      roles: [
        { sopClassUid: CT_STORE, scuRole: 0, scpRole: 1 },
        { sopClassUid: MR_STORE, scuRole: 1, scpRole: 1 }, // could push: stays rejected
      ],
      proposed: [7, 9],
      rejected: [1, 3, 5, 11, 13, 15],
    },
    {
      name: 'C-GET without role selection: storage rejected',
      allowed: set('C-GET'),
      proposed: [7],
      rejected: [1, 3, 5, 9, 11, 13, 15],
    },
    {
      name: 'SCP role selection alone grants nothing without C-GET',
      allowed: set('C-FIND'),
      roles: [{ sopClassUid: CT_STORE, scuRole: 0, scpRole: 1 }],
      proposed: [3],
      rejected: [1, 5, 7, 9, 11, 13, 15],
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const got = filterPresentationContexts(pcs, r.allowed, r.roles);
      assert.deepEqual(
        got.proposed.map((p) => p.id),
        r.proposed,
      );
      assert.deepEqual(got.rejected, r.rejected);
      // proposed contexts are the caller's own, unchanged
      for (const p of got.proposed) assert.equal(p, pcs.find((x) => x.id === p.id));
    });
  }
  it('empty proposal', () => assert.deepEqual(filterPresentationContexts([], new Set(['C-ECHO'])), { proposed: [], rejected: [] }));
});
