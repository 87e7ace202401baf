// IP literal parsing, CIDR allowlists (listener allowFrom) and address equality (checkHost).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressAllowed, isIpLiteral, parseCidr, parseIp, sameAddress } from '../../src/policy/address.ts';

const v4 = (a: number, b: number, c: number, d: number): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d];

describe('parseIp', () => {
  const ok: [string, 4 | 6, number[]][] = [
    ['10.0.0.1', 4, v4(10, 0, 0, 1)],
    ['0.0.0.0', 4, v4(0, 0, 0, 0)],
    ['255.255.255.255', 4, v4(255, 255, 255, 255)],
    ['::', 6, new Array(16).fill(0)],
    ['::1', 6, [...new Array(15).fill(0), 1]],
    ['1::', 6, [0, 1, ...new Array(14).fill(0)]],
    ['2001:db8::8:800:200c:417a', 6, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 8, 0, 0x20, 0x0c, 0x41, 0x7a]],
    ['2001:DB8:0:0:8:800:200C:417A', 6, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 8, 0, 0x20, 0x0c, 0x41, 0x7a]],
    ['1:2:3:4:5:6:7::', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]],
    ['::ffff:10.0.0.1', 4, v4(10, 0, 0, 1)],
    ['::FFFF:10.0.0.1', 4, v4(10, 0, 0, 1)],
    ['::ffff:a00:1', 4, v4(10, 0, 0, 1)],
    ['0:0:0:0:0:ffff:10.0.0.1', 4, v4(10, 0, 0, 1)],
    ['64:ff9b::192.0.2.33', 6, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]],
    ['fe80::1%eth0', 6, [0xfe, 0x80, ...new Array(13).fill(0), 1]],
    ['fe80::1%25', 6, [0xfe, 0x80, ...new Array(13).fill(0), 1]],
    ['[::1]', 6, [...new Array(15).fill(0), 1]],
    [' 10.0.0.1 ', 4, v4(10, 0, 0, 1)],
  ];
  for (const [s, family, bytes] of ok) {
    it(`parses ${s}`, () => assert.deepEqual(parseIp(s), { family, bytes }));
  }
  const bad = [
    '',
    'pacs.hospital.lan',
    '10.0.0',
    '10.0.0.1.2',
    '10.0.0.256',
    '010.0.0.1',
    '10.0.0.-1',
    '10.0.0.1%eth0',
    '1.2.3.4/8',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '::1%',
    '10.0.0.1::',
    '::ffff:10.0.0.256',
    '[::1',
  ];
  for (const s of bad) it(`rejects ${JSON.stringify(s)}`, () => assert.equal(parseIp(s), null));
  it('isIpLiteral', () => {
    assert.equal(isIpLiteral('10.1.2.3'), true);
    assert.equal(isIpLiteral('fd00::1'), true);
    assert.equal(isIpLiteral('pacs.hospital.lan'), false);
  });
});

describe('parseCidr', () => {
  const rows: [string, { family: 4 | 6; prefix: number; prefix128: number; hostBitsSet: boolean } | null][] = [
    ['10.0.0.0/8', { family: 4, prefix: 8, prefix128: 104, hostBitsSet: false }],
    ['10.1.2.3/8', { family: 4, prefix: 8, prefix128: 104, hostBitsSet: true }],
    ['10.1.2.3', { family: 4, prefix: 32, prefix128: 128, hostBitsSet: false }],
    ['0.0.0.0/0', { family: 4, prefix: 0, prefix128: 96, hostBitsSet: false }],
    ['fd00::/8', { family: 6, prefix: 8, prefix128: 8, hostBitsSet: false }],
    ['fd00::1', { family: 6, prefix: 128, prefix128: 128, hostBitsSet: false }],
    ['::/0', { family: 6, prefix: 0, prefix128: 0, hostBitsSet: false }],
    ['::ffff:10.0.0.0/104', { family: 4, prefix: 104, prefix128: 104, hostBitsSet: false }],
    ['10.0.0.0/33', null],
    ['fd00::/129', null],
    ['10.0.0.0/', null],
    ['10.0.0.0/08', null],
    ['10.0.0.0/8/8', null],
    ['10.0.0.0/-1', null],
    ['host.lan/24', null],
  ];
  for (const [s, want] of rows) {
    it(s, () => {
      const c = parseCidr(s);
      if (want === null) assert.equal(c, null);
      else {
        assert.ok(c);
        assert.deepEqual({ family: c.family, prefix: c.prefix, prefix128: c.prefix128, hostBitsSet: c.hostBitsSet }, want);
      }
    });
  }
  it('clears host bits', () => assert.deepEqual(parseCidr('10.1.2.3/8')?.bytes, v4(10, 0, 0, 0)));
  it('clears host bits inside a byte', () => assert.deepEqual(parseCidr('10.1.255.3/20')?.bytes, v4(10, 1, 240, 0)));
});

describe('addressAllowed', () => {
  const rows: [string, string[] | undefined, boolean][] = [
    // undefined = any; empty list = nobody (fail closed)
    ['10.0.0.1', undefined, true],
    ['fd00::1', undefined, true],
    ['garbage', undefined, true],
    ['10.0.0.1', [], false],
    // IPv4
    ['10.0.0.1', ['10.0.0.0/8'], true],
    ['10.255.255.255', ['10.0.0.0/8'], true],
    ['11.0.0.1', ['10.0.0.0/8'], false],
    ['192.168.1.77', ['192.168.1.64/26'], true],
    ['192.168.1.128', ['192.168.1.64/26'], false],
    ['10.1.2.3', ['10.1.2.3'], true],
    ['10.1.2.4', ['10.1.2.3'], false],
    ['10.1.2.4', ['10.1.2.3/32'], false],
    ['8.8.8.8', ['0.0.0.0/0'], true],
    ['10.9.9.9', ['172.16.0.0/12', '10.9.0.0/16'], true],
    // IPv4-mapped: a dual-stack listener reports IPv4 callers like this
    ['::ffff:10.0.0.1', ['10.0.0.0/8'], true],
    ['::ffff:11.0.0.1', ['10.0.0.0/8'], false],
    ['::FFFF:10.0.0.1', ['10.0.0.1'], true],
    ['10.0.0.1', ['::ffff:10.0.0.0/104'], true],
    ['::ffff:10.0.0.1', ['::ffff:10.0.0.0/104'], true],
    ['10.0.0.1', ['::ffff:0:0/96'], true],
    // IPv6
    ['fd00::1', ['fd00::/8'], true],
    ['fe80::1', ['fd00::/8'], false],
    ['fe80::1%eth0', ['fe80::/10'], true],
    ['2001:db8:0:1::5', ['2001:db8::/48'], true],
    ['2001:db8:1::5', ['2001:db8::/48'], false],
    ['::1', ['::1'], true],
    ['::1', ['::1/128'], true],
    ['::2', ['::1/128'], false],
    // IPv6 space ::/0 contains everything, IPv4 (as mapped) included, whichever way it is written
    ['10.0.0.1', ['::/0'], true],
    ['::ffff:10.0.0.1', ['::/0'], true],
    // families do not cross otherwise
    ['fd00::1', ['0.0.0.0/0'], false],
    ['10.0.0.1', ['fd00::/8'], false],
    // bad input fails closed
    ['not-an-ip', ['0.0.0.0/0'], false],
    ['10.0.0.1', ['bogus', '10.0.0.0/99'], false],
    ['10.0.0.1', ['bogus', '10.0.0.0/8'], true],
  ];
  for (const [addr, cidrs, want] of rows) {
    it(`${addr} in ${JSON.stringify(cidrs)} = ${want}`, () => assert.equal(addressAllowed(addr, cidrs), want));
  }
});

describe('sameAddress', () => {
  const rows: [string, string, boolean][] = [
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '10.1.2.4', false],
    ['::ffff:10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '::ffff:10.1.2.3', true],
    ['::ffff:a01:203', '10.1.2.3', true],
    ['fd00::20', 'fd00:0:0:0:0:0:0:20', true],
    ['FD00::20', 'fd00::20', true],
    ['fe80::1%eth0', 'fe80::1', true],
    ['fd00::20', 'fd00::21', false],
    ['::10.1.2.3', '10.1.2.3', false], // IPv4-compatible (deprecated) is not IPv4-mapped
    ['pacs.lan', 'pacs.lan', false], // names are not addresses
    ['10.1.2.3', 'pacs.lan', false],
  ];
  for (const [a, b, want] of rows) it(`${a} vs ${b} = ${want}`, () => assert.equal(sameAddress(a, b), want));
});
