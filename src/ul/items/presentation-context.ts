// Presentation context items: 0x20 in the A-ASSOCIATE-RQ (PS3.8 Table 9-13, sub-items 0x30 abstract
// syntax Table 9-14 and 0x40 transfer syntax Table 9-15) and 0x21 in the A-ASSOCIATE-AC (Table 9-18,
// one 0x40 sub-item Table 9-19). Offsets in the tables are relative to the item start:
//   [0] type  [1] reserved  [2..3] item length  [4] presentation context ID
//   RQ: [5..7] reserved                AC: [5] reserved  [6] result/reason  [7] reserved
//   [8..] sub-items
// Sub-items of any other type are ignored (PS3.8 9.3.1: unknown fields are not tested) and are not
// re-encoded.
import type { PresentationContextAc, PresentationContextRq } from '../types.ts';
import { ITEM_TYPE } from '../codes.ts';
import type { RawItem } from '../wire.ts';
import { encodeItem, fail, invalid, itemAt, itemLength, readItems, readUid, textBytes } from '../wire.ts';

const FIXED = 4; // ID + 3 bytes before the sub-items

function contextId(raw: Buffer, item: RawItem, where: string): number {
  if (itemLength(item) < FIXED) invalid(`${where}: ${itemAt(item)}: length ${itemLength(item)}, need at least ${FIXED}`);
  return raw[item.bodyStart]!;
}

/** Decodes an item 0x20. Needs exactly one abstract syntax and at least one transfer syntax. */
export function decodePresentationContextRq(raw: Buffer, item: RawItem, where: string): PresentationContextRq {
  const id = contextId(raw, item, where);
  const parent = `${itemAt(item)} (ID ${id})`;
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  for (const sub of readItems(raw, item.bodyStart + FIXED, item.bodyEnd, where, parent)) {
    if (sub.type === ITEM_TYPE.abstractSyntax) {
      if (abstractSyntax !== undefined) fail('unexpected-pdu-parameter', `${where}: ${parent}: second ${itemAt(sub)}`);
      abstractSyntax = readUid(raw, sub.bodyStart, sub.bodyEnd);
    } else if (sub.type === ITEM_TYPE.transferSyntax) {
      transferSyntaxes.push(readUid(raw, sub.bodyStart, sub.bodyEnd));
    }
  }
  if (abstractSyntax === undefined) invalid(`${where}: ${parent}: abstract syntax sub-item (0x30) missing`);
  if (transferSyntaxes.length === 0) invalid(`${where}: ${parent}: no transfer syntax sub-item (0x40)`);
  return { id, abstractSyntax, transferSyntaxes };
}

export function encodePresentationContextRq(pc: PresentationContextRq): Buffer {
  return encodeItem(
    ITEM_TYPE.presentationContextRq,
    Buffer.from([pc.id, 0, 0, 0]),
    encodeItem(ITEM_TYPE.abstractSyntax, textBytes(pc.abstractSyntax)),
    ...pc.transferSyntaxes.map((ts) => encodeItem(ITEM_TYPE.transferSyntax, textBytes(ts))),
  );
}

/** Decodes an item 0x21. PS3.8 Table 9-18: the transfer syntax "shall not be tested" unless the
 *  result is acceptance, so a rejected context may carry an empty one or (tolerated here) none at
 *  all; both decode as ''. Re-encoding always writes one 0x40 sub-item. */
export function decodePresentationContextAc(raw: Buffer, item: RawItem, where: string): PresentationContextAc {
  const id = contextId(raw, item, where);
  const result = raw[item.bodyStart + 2]!;
  const parent = `${itemAt(item)} (ID ${id})`;
  let transferSyntax: string | undefined;
  for (const sub of readItems(raw, item.bodyStart + FIXED, item.bodyEnd, where, parent)) {
    if (sub.type !== ITEM_TYPE.transferSyntax) continue;
    if (transferSyntax !== undefined) fail('unexpected-pdu-parameter', `${where}: ${parent}: second ${itemAt(sub)}`);
    transferSyntax = readUid(raw, sub.bodyStart, sub.bodyEnd);
  }
  if (transferSyntax === undefined) {
    if (result === 0) invalid(`${where}: ${parent}: accepted but no transfer syntax sub-item (0x40)`);
    transferSyntax = '';
  }
  return { id, result, transferSyntax };
}

export function encodePresentationContextAc(pc: PresentationContextAc): Buffer {
  return encodeItem(
    ITEM_TYPE.presentationContextAc,
    Buffer.from([pc.id, 0, pc.result, 0]),
    encodeItem(ITEM_TYPE.transferSyntax, textBytes(pc.transferSyntax)),
  );
}
