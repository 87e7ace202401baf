// AE title syntax and comparison: PS3.5 §6.2 VR AE, PS3.8 Table 9-11, dicom-facts 1.11.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aeTitleProblem, aeTitlesEqual, normalizeAeTitle, printableAeTitle } from '../../src/policy/ae-title.ts';

describe('normalizeAeTitle', () => {
  const rows: [string, string][] = [
    ['PACS', 'PACS'],
    ['PACS            ', 'PACS'],
    ['  PACS', 'PACS'],
    ['  MY PACS  ', 'MY PACS'], // inner spaces are significant
    ['                ', ''],
    ['', ''],
    ['\tPACS', '\tPACS'], // only 0x20 is padding
  ];
  for (const [input, want] of rows) it(JSON.stringify(input), () => assert.equal(normalizeAeTitle(input), want));
});

describe('aeTitlesEqual', () => {
  const rows: [string, string, boolean][] = [
    ['PACS', 'PACS  ', true],
    [' PACS', 'PACS', true],
    ['PACS', 'pacs', false], // no case folding
    ['MY PACS', 'MYPACS', false],
  ];
  for (const [a, b, want] of rows) it(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`, () => assert.equal(aeTitlesEqual(a, b), want));
});

describe('aeTitleProblem', () => {
  const rows: [string, RegExp | null][] = [
    ['GATEWAY', null],
    ['A', null],
    ['ABCDEFGHIJKLMNOP', null], // 16
    ['  ABCDEFGHIJKLMNOP  ', null], // padding does not count
    ['MY PACS', null],
    ['a-b_c.d@e!~', null],
    ['', /empty/],
    ['    ', /only of spaces/],
    ['ABCDEFGHIJKLMNOPQ', /17 characters/],
    ['BACK\\SLASH', /backslash at position 5/],
    ['TAB\tX', /control character 0x09/],
    ['LF\n', /control character 0x0A/],
    ['ESC\x1b', /control character 0x1B/],
    ['DEL\x7f', /control character 0x7F/],
    ['NUL\x00', /control character 0x00/],
    ['PACSÄ', /non-ASCII character U\+00C4/],
  ];
  for (const [input, want] of rows) {
    it(JSON.stringify(input), () => {
      const p = aeTitleProblem(input);
      if (want === null) assert.equal(p, null);
      else {
        assert.notEqual(p, null);
        assert.match(p ?? '', want);
      }
    });
  }
});

describe('printableAeTitle', () => {
  it('replaces backslash, control and non-ASCII characters', () => assert.equal(printableAeTitle('A\\B\nCÄ'), 'A?B?C?'));
  it('trims and caps at 16', () => assert.equal(printableAeTitle('  ' + 'X'.repeat(30)), 'X'.repeat(16)));
  it('custom cap', () => assert.equal(printableAeTitle('ABCDEF', 3), 'ABC'));
});
