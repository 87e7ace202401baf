// Byte-level rewrites of a reassembled command set, for the relay (dicom-facts 2.8, 2.9, 5.9).
// Each decodes, changes one thing, and re-encodes with correct element and group lengths
// (encodeCommandSet). When nothing would change, the ORIGINAL buffer is returned (same object), so
// odd-but-working peer encodings are forwarded untouched and callers can test `out === input`.
//
// Input comes from MessageAssembler, which already decoded it; bytes that do not decode here are a
// caller bug, so these throw (TypeError) instead of returning a result the relay would never see fail.
import {
  TAG,
  decodeCommandSet,
  encodeCommandSet,
  has,
  messageId,
  messageIdBeingRespondedTo,
  moveDestination,
  moveOriginatorAeTitle,
  moveOriginatorMessageId,
  withString,
  withUint16,
  without,
} from './command-set.ts';
import type { CommandSet } from './command-set.ts';

function decodeOrThrow(commandBytes: Buffer): CommandSet {
  const r = decodeCommandSet(commandBytes);
  if (!r.ok) throw new TypeError(`rewrite of an invalid command set: ${r.error.message}`);
  return r.value;
}

/** Set (0000,0600) Move Destination (AE, <= 16 chars, padded to even with a space). PS3.7 9.3.4.1. */
export function rewriteMoveDestination(commandBytes: Buffer, newAe: string): Buffer {
  const cs = decodeOrThrow(commandBytes);
  if (moveDestination(cs) === newAe) return commandBytes;
  return encodeCommandSet(withString(cs, TAG.MoveDestination, newAe));
}

/** Set (0000,0110) Message ID: the gateway picks ids on the leg it originates (dicom-facts 2.8 step 3/5). */
export function rewriteMessageId(commandBytes: Buffer, id: number): Buffer {
  const cs = decodeOrThrow(commandBytes);
  if (messageId(cs) === id) return commandBytes;
  return encodeCommandSet(withUint16(cs, TAG.MessageID, id));
}

/** Set (0000,0120) Message ID Being Responded To (responses and C-CANCEL-RQ, PS3.7 9.3.2.3). */
export function rewriteMessageIdBeingRespondedTo(commandBytes: Buffer, id: number): Buffer {
  const cs = decodeOrThrow(commandBytes);
  if (messageIdBeingRespondedTo(cs) === id) return commandBytes;
  return encodeCommandSet(withUint16(cs, TAG.MessageIDBeingRespondedTo, id));
}

/** Drop (0000,1030)/(0000,1031): a C-STORE relayed onto a C-GET association is not a C-MOVE
 *  sub-operation, and those fields are defined for C-MOVE only (dicom-facts 2.7, 2.8 step 5). */
export function stripMoveOriginator(commandBytes: Buffer): Buffer {
  const cs = decodeOrThrow(commandBytes);
  if (!has(cs, TAG.MoveOriginatorApplicationEntityTitle) && !has(cs, TAG.MoveOriginatorMessageID)) return commandBytes;
  return encodeCommandSet(without(without(cs, TAG.MoveOriginatorApplicationEntityTitle), TAG.MoveOriginatorMessageID));
}

/** Put back the Move Originator the client used when the C-MOVE was relayed with a rewritten id or
 *  AE (dicom-facts 2.9). Fields left undefined are not touched. */
export function rewriteMoveOriginator(commandBytes: Buffer, originator: { aeTitle?: string; messageId?: number }): Buffer {
  let cs = decodeOrThrow(commandBytes);
  let changed = false;
  if (originator.aeTitle !== undefined && moveOriginatorAeTitle(cs) !== originator.aeTitle) {
    cs = withString(cs, TAG.MoveOriginatorApplicationEntityTitle, originator.aeTitle);
    changed = true;
  }
  if (originator.messageId !== undefined && moveOriginatorMessageId(cs) !== originator.messageId) {
    cs = withUint16(cs, TAG.MoveOriginatorMessageID, originator.messageId);
    changed = true;
  }
  return changed ? encodeCommandSet(cs) : commandBytes;
}
