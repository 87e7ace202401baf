// Table-driven codec cases (after mqtt-packet's testParseGenerate): one fixture yields a parse, a
// generate and a mirror (generate(parse(bytes)) === bytes) test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePdu, encodePdu } from '../../src/ul/codec.ts';
import type { DecodeErrorKind, Pdu } from '../../src/ul/types.ts';

export function parseOk(bytes: Buffer): Pdu {
  const r = decodePdu(bytes);
  if (!r.ok) assert.fail(`decode failed: ${r.error.kind}: ${r.error.message}`);
  return r.value;
}

/** Hex with a space every 16 bytes, so a failing byte comparison shows where it differs. */
function hexLines(b: Buffer): string {
  return (b.toString('hex').match(/.{1,32}/g) ?? []).join('\n');
}

export function assertBytes(actual: Buffer, expected: Buffer): void {
  assert.equal(hexLines(actual), hexLines(expected));
}

export function testParseGenerate(name: string, value: Pdu, bytes: Buffer): void {
  test(`${name} parse`, () => assert.deepStrictEqual(parseOk(bytes), value));
  test(`${name} generate`, () => assertBytes(encodePdu(value), bytes));
  test(`${name} mirror`, () => assertBytes(encodePdu(parseOk(bytes)), bytes));
}

/** Decode-only fixtures: bytes our encoder would not write (tolerated input). */
export function testParse(name: string, value: Pdu, bytes: Buffer): void {
  test(`${name} parse`, () => assert.deepStrictEqual(parseOk(bytes), value));
}

export function testParseError(name: string, bytes: Buffer, kind: DecodeErrorKind, message: string | RegExp): void {
  test(`${name} is rejected`, () => {
    const r = decodePdu(bytes);
    assert.equal(r.ok, false, 'decoded without error');
    if (r.ok) return;
    assert.equal(r.error.kind, kind, r.error.message);
    if (typeof message === 'string') assert.equal(r.error.message, message);
    else assert.match(r.error.message, message);
  });
}
