import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatus, isFinalStatus, statusClass, statusName } from '../../src/dimse/status.ts';

test('status classes per PS3.7 Annex C and the DCMTK rule of thumb', () => {
  const table: [number, string][] = [
    [0x0000, 'success'],
    [0xff00, 'pending'],
    [0xff01, 'pending'],
    [0xfe00, 'cancel'],
    [0x0001, 'warning'],
    [0xb000, 'warning'],
    [0xb006, 'warning'],
    [0xb007, 'warning'],
    [0x0107, 'warning'],
    [0x0116, 'warning'],
    [0xa700, 'failure'],
    [0xa702, 'failure'],
    [0xa801, 'failure'],
    [0xa900, 'failure'],
    [0xaa04, 'failure'],
    [0xc000, 'failure'],
    [0xc211, 'failure'],
    [0x0122, 'failure'],
    [0x0124, 'failure'],
    [0x0105, 'failure'],
    [0x0211, 'failure'],
    [0x0213, 'failure'],
    [0xd000, 'failure'], // unknown: fail closed
  ];
  for (const [code, cls] of table) assert.equal(statusClass(code), cls, `0x${code.toString(16)}`);
  assert.equal(isFinalStatus(0xff00), false);
  assert.equal(isFinalStatus(0xfe00), true);
});

test('names for logs', () => {
  assert.equal(statusName(0xa801), 'Refused: move destination unknown');
  assert.equal(statusName(0xa7ff), 'Refused: out of resources');
  assert.equal(statusName(0xc123), 'Error: unable to process');
  assert.equal(formatStatus(0xa801), '0xA801 Refused: move destination unknown (failure)');
  assert.equal(formatStatus(0), '0x0000 Success (success)');
});
