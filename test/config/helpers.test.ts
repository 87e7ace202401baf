// The small pure helpers behind the config validators: AE titles, addresses, ${VAR}, hints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAeTitle } from '../../src/config/ae-title.ts';
import { isHost, isWildcardHost } from '../../src/config/net.ts';
import { expandEnv } from '../../src/config/env.ts';
import { closest } from '../../src/config/did-you-mean.ts';

test('AE titles', () => {
  const cases: [string, string | null][] = [
    ['PACS', 'PACS'],
    ['  PACS  ', 'PACS'],
    ['A B', 'A B'],
    ['1234567890123456', '1234567890123456'],
    ['12345678901234567', null],
    ['', null],
    ['    ', null],
    ['A\\B', null],
    ['A\tB', null],
    ['A\x7fB', null],
    ['ÄRZT', null],
  ];
  for (const [raw, want] of cases) {
    const c = checkAeTitle(raw);
    assert.equal(c.ok ? c.title : null, want, JSON.stringify(raw));
  }
});

test('host names', () => {
  for (const h of ['pacs', 'pacs.example.org', 'a-b.example.org.', '10.1.2.3', '::1']) assert.equal(isHost(h), true, h);
  for (const h of ['', 'pacs_1.example.org', '-pacs', 'pacs..org', '10.1.2', 'http://pacs', '[::1]']) assert.equal(isHost(h), false, h);
  for (const h of ['0.0.0.0', '::', '0:0:0:0:0:0:0:0']) assert.equal(isWildcardHost(h), true, h);
  for (const h of ['127.0.0.1', '::1', 'localhost']) assert.equal(isWildcardHost(h), false, h);
});

test('${VAR} expansion', () => {
  const env = { A: 'x', EMPTY: '' };
  assert.deepEqual(expandEnv('${A}-${A}', env), { value: 'x-x', expanded: true, problems: [] });
  assert.equal(expandEnv('${EMPTY:-d}', env).value, 'd');
  assert.equal(expandEnv('${UNSET:-}', env).value, '');
  assert.equal(expandEnv('${UNSET:-a:-b}', env).value, 'a:-b');
  assert.deepEqual(expandEnv('$${A} $A', env), { value: '${A} $A', expanded: false, problems: [] });
  const p = expandEnv('ab${NOPE}', env).problems;
  assert.deepEqual(p.map((x) => [x.kind, x.index, x.name]), [['undefined', 2, 'NOPE']]);
  assert.equal(expandEnv('${1A}', env).problems[0]?.kind, 'malformed');
  assert.equal(expandEnv('${A', env).problems[0]?.kind, 'malformed');
});

test('did you mean', () => {
  const keys = ['host', 'port', 'tls', 'requireClientCert', 'allowFrom', 'checkHost'];
  assert.equal(closest('requireClientCerts', keys), 'requireClientCert');
  assert.equal(closest('allowfrom', keys), 'allowFrom');
  assert.equal(closest('hots', keys), 'host');
  assert.equal(closest('colour', keys), undefined);
});
