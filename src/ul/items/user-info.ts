// User information item 0x50 (PS3.8 Table 9-16) and its sub-items (PS3.8 Annex D.1, PS3.7 Annex D.3.3):
//   0x51 maximum length        uint32; 0 = no limit                           PS3.8 Table D.1-1
//   0x52 implementation class UID                                             PS3.7 Table D.3-1
//   0x53 asynchronous operations window  uint16 invoked, uint16 performed    PS3.7 Table D.3-7
//   0x54 SCP/SCU role selection  uint16 UID length, UID, SCU role, SCP role  PS3.7 Table D.3-9
//   0x55 implementation version name                                          PS3.7 Table D.3-3
// Every other sub-item (0x56..0x59, unknown types) is kept raw in `otherItems`, in received order,
// and written back byte for byte after the known ones: acceptors must ignore sub-items they do not
// know (PS3.8 D.2 Note 2), and a relay must not lose what the two ends negotiate between them.
import type { RawSubItem, RoleSelection, UserInformation } from '../types.ts';
import { ITEM_TYPE } from '../codes.ts';
import type { RawItem } from '../wire.ts';
import { encodeItem, fail, invalid, itemAt, itemLength, readItems, readUid, textBytes, u16, u32 } from '../wire.ts';

function expectLength(item: RawItem, length: number, where: string): void {
  if (itemLength(item) !== length) invalid(`${where}: ${itemAt(item)}: length ${itemLength(item)}, must be ${length}`);
}

function decodeRoleSelection(raw: Buffer, sub: RawItem, where: string): RoleSelection {
  if (itemLength(sub) < 2) invalid(`${where}: ${itemAt(sub)}: length ${itemLength(sub)}, too short for the UID length`);
  const uidLength = raw.readUInt16BE(sub.bodyStart);
  expectLength(sub, 2 + uidLength + 2, where);
  const uidEnd = sub.bodyStart + 2 + uidLength;
  return { sopClassUid: readUid(raw, sub.bodyStart + 2, uidEnd), scuRole: raw[uidEnd]!, scpRole: raw[uidEnd + 1]! };
}

/** Decodes an item 0x50. A repeated single-valued sub-item (0x51, 0x52, 0x53, 0x55) is an error, not
 *  last-one-wins: a relay that lowers the maximum length must not leave a second copy unchanged. */
export function decodeUserInformation(raw: Buffer, item: RawItem, where: string): UserInformation {
  const ui: UserInformation = { roleSelections: [], otherItems: [] };
  const seen = new Set<number>();
  for (const sub of readItems(raw, item.bodyStart, item.bodyEnd, where, itemAt(item))) {
    const single = sub.type >= ITEM_TYPE.maximumLength && sub.type <= ITEM_TYPE.implementationVersionName && sub.type !== ITEM_TYPE.roleSelection;
    if (single) {
      if (seen.has(sub.type)) fail('unexpected-pdu-parameter', `${where}: ${itemAt(sub)}: repeated in the user information item`);
      seen.add(sub.type);
    }
    switch (sub.type) {
      case ITEM_TYPE.maximumLength:
        expectLength(sub, 4, where);
        ui.maxLength = raw.readUInt32BE(sub.bodyStart);
        break;
      case ITEM_TYPE.implementationClassUid:
        ui.implementationClassUid = readUid(raw, sub.bodyStart, sub.bodyEnd);
        break;
      case ITEM_TYPE.asyncOperationsWindow:
        expectLength(sub, 4, where);
        ui.asyncOpsWindow = {
          maxOperationsInvoked: raw.readUInt16BE(sub.bodyStart),
          maxOperationsPerformed: raw.readUInt16BE(sub.bodyStart + 2),
        };
        break;
      case ITEM_TYPE.roleSelection:
        ui.roleSelections.push(decodeRoleSelection(raw, sub, where));
        break;
      case ITEM_TYPE.implementationVersionName:
        // Not a UID: kept verbatim (even a trailing NUL) so it re-encodes unchanged.
        ui.implementationVersionName = raw.toString('latin1', sub.bodyStart, sub.bodyEnd);
        break;
      default:
        // A copy, so a long-lived association record does not pin the socket chunk the PDU came in.
        ui.otherItems.push({ itemType: sub.type, data: Buffer.from(raw.subarray(sub.bodyStart, sub.bodyEnd)) });
    }
  }
  return ui;
}

/** Writes an item 0x50: 0x51, 0x52, 0x53, each 0x54, 0x55 (the PS3.7 D.3.3 order), then `otherItems`. */
export function encodeUserInformation(ui: UserInformation): Buffer {
  const subs: Buffer[] = [];
  if (ui.maxLength !== undefined) subs.push(encodeItem(ITEM_TYPE.maximumLength, u32(ui.maxLength)));
  if (ui.implementationClassUid !== undefined) {
    subs.push(encodeItem(ITEM_TYPE.implementationClassUid, textBytes(ui.implementationClassUid)));
  }
  if (ui.asyncOpsWindow !== undefined) {
    const w = ui.asyncOpsWindow;
    subs.push(encodeItem(ITEM_TYPE.asyncOperationsWindow, u16(w.maxOperationsInvoked), u16(w.maxOperationsPerformed)));
  }
  for (const r of ui.roleSelections) {
    const uid = textBytes(r.sopClassUid);
    subs.push(encodeItem(ITEM_TYPE.roleSelection, u16(uid.length), uid, Buffer.from([r.scuRole, r.scpRole])));
  }
  if (ui.implementationVersionName !== undefined) {
    subs.push(encodeItem(ITEM_TYPE.implementationVersionName, textBytes(ui.implementationVersionName)));
  }
  for (const o of ui.otherItems) subs.push(encodeRawSubItem(o));
  return encodeItem(ITEM_TYPE.userInformation, ...subs);
}

export function encodeRawSubItem(item: RawSubItem): Buffer {
  return encodeItem(item.itemType, item.data);
}
