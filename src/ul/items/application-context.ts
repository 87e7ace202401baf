// Application context item 0x10, PS3.8 Table 9-12. The body is the application context name, a UID;
// only 1.2.840.10008.3.1.1.1 is defined, and judging it is the association policy's job, not ours.
import { ITEM_TYPE } from '../codes.ts';
import type { RawItem } from '../wire.ts';
import { encodeItem, readUid, textBytes } from '../wire.ts';

export function decodeApplicationContext(raw: Buffer, item: RawItem): string {
  return readUid(raw, item.bodyStart, item.bodyEnd);
}

export function encodeApplicationContext(name: string): Buffer {
  return encodeItem(ITEM_TYPE.applicationContext, textBytes(name));
}
