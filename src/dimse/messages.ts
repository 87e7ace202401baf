// Command sets the gateway sends itself (answers it gives locally, and the C-GET -> C-MOVE bridge,
// dicom-facts 2.8). Element lists follow PS3.7 section 9.3 (pynetdicom's minimal sets, facts 2.3).
// Every builder returns encoded bytes ready for commandToPData. When a data set follows we write
// Command Data Set Type 0x0001 (facts 2.2: what DCMTK and pynetdicom send; DCMTK <= 3.6.7 tested it).
import {
  COMMAND_FIELD,
  DATA_SET_PRESENT,
  NO_DATA_SET,
  TAG,
  affectedSopClassUid,
  affectedSopInstanceUid,
  commandField,
  commandSetOf,
  encodeCommandSet,
  messageId,
  priority,
  requestedSopClassUid,
  requestedSopInstanceUid,
} from './command-set.ts';
import type { CommandSet } from './command-set.ts';
import { GET_TO_MOVE, VERIFICATION } from './sop-classes.ts';
import { statusClass } from './status.ts';

/** PS3.7 Annex E (0000,0700). */
export const PRIORITY = { MEDIUM: 0x0000, HIGH: 0x0001, LOW: 0x0002 } as const;

type Field = readonly [number, number | string];

/** C-ECHO-RSP, PS3.7 9.3.5.2. */
export function cEchoRsp(o: { messageIdBeingRespondedTo: number; status?: number; affectedSopClassUid?: string }): Buffer {
  return encodeCommandSet(
    commandSetOf([
      [TAG.AffectedSOPClassUID, o.affectedSopClassUid ?? VERIFICATION],
      [TAG.CommandField, COMMAND_FIELD['C-ECHO-RSP']],
      [TAG.MessageIDBeingRespondedTo, o.messageIdBeingRespondedTo],
      [TAG.CommandDataSetType, NO_DATA_SET],
      [TAG.Status, o.status ?? 0x0000],
    ]),
  );
}

/** C-STORE-RSP, PS3.7 9.3.1.2. */
export function cStoreRsp(o: {
  messageIdBeingRespondedTo: number;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
  status: number;
  errorComment?: string;
}): Buffer {
  const fields: Field[] = [
    [TAG.AffectedSOPClassUID, o.affectedSopClassUid],
    [TAG.CommandField, COMMAND_FIELD['C-STORE-RSP']],
    [TAG.MessageIDBeingRespondedTo, o.messageIdBeingRespondedTo],
    [TAG.CommandDataSetType, NO_DATA_SET],
    [TAG.Status, o.status],
    [TAG.AffectedSOPInstanceUID, o.affectedSopInstanceUid],
  ];
  if (o.errorComment !== undefined) fields.push([TAG.ErrorComment, o.errorComment]);
  return encodeCommandSet(commandSetOf(fields));
}

export interface RetrieveRspOptions {
  messageIdBeingRespondedTo: number;
  affectedSopClassUid: string;
  status: number;
  remaining?: number;
  completed?: number;
  failed?: number;
  warning?: number;
  errorComment?: string;
  /** True when an identifier follows (final response with a Failed SOP Instance UID List, facts 2.4). */
  withIdentifier?: boolean;
}

/** Shared by C-MOVE-RSP (PS3.7 9.3.4.2) and C-GET-RSP (9.3.3.2). PS3.4 C.4.2.1.6 / C.4.3.1.6:
 *  Remaining is sent with Pending, may be with Cancel, and shall NOT be with Success/Warning/Failure,
 *  so it is dropped for those even if given; the other counts are written whenever given. */
function retrieveRsp(field: number, o: RetrieveRspOptions): Buffer {
  const fields: Field[] = [
    [TAG.AffectedSOPClassUID, o.affectedSopClassUid],
    [TAG.CommandField, field],
    [TAG.MessageIDBeingRespondedTo, o.messageIdBeingRespondedTo],
    [TAG.CommandDataSetType, o.withIdentifier ? DATA_SET_PRESENT : NO_DATA_SET],
    [TAG.Status, o.status],
  ];
  const cls = statusClass(o.status);
  if (o.remaining !== undefined && (cls === 'pending' || cls === 'cancel')) fields.push([TAG.NumberOfRemainingSuboperations, o.remaining]);
  if (o.completed !== undefined) fields.push([TAG.NumberOfCompletedSuboperations, o.completed]);
  if (o.failed !== undefined) fields.push([TAG.NumberOfFailedSuboperations, o.failed]);
  if (o.warning !== undefined) fields.push([TAG.NumberOfWarningSuboperations, o.warning]);
  if (o.errorComment !== undefined) fields.push([TAG.ErrorComment, o.errorComment]);
  return encodeCommandSet(commandSetOf(fields));
}

export const cMoveRsp = (o: RetrieveRspOptions): Buffer => retrieveRsp(COMMAND_FIELD['C-MOVE-RSP'], o);
export const cGetRsp = (o: RetrieveRspOptions): Buffer => retrieveRsp(COMMAND_FIELD['C-GET-RSP'], o);

export type BridgeResult = { ok: true; bytes: Buffer; moveSopClassUid: string } | { ok: false; reason: string };

/** C-MOVE-RQ standing in for a client's C-GET-RQ (facts 2.8 step 3): MOVE twin of the GET SOP class,
 *  new Message ID, same Priority, Move Destination = the gateway-owned AE the PACS knows. The
 *  identifier is forwarded unchanged after it, so a data set is always announced. */
export function cMoveRqFromGet(getRq: CommandSet, o: { messageId: number; moveDestination: string }): BridgeResult {
  if (commandField(getRq) !== COMMAND_FIELD['C-GET-RQ']) return { ok: false, reason: 'not a C-GET-RQ' };
  const getClass = affectedSopClassUid(getRq);
  if (getClass === undefined) return { ok: false, reason: 'C-GET-RQ without Affected SOP Class UID' };
  const moveClass = GET_TO_MOVE.get(getClass);
  if (moveClass === undefined) return { ok: false, reason: `${getClass} is not a known C-GET SOP class` };
  if (moveClass === null) return { ok: false, reason: `${getClass} has no C-MOVE counterpart` };
  const bytes = encodeCommandSet(
    commandSetOf([
      [TAG.AffectedSOPClassUID, moveClass],
      [TAG.CommandField, COMMAND_FIELD['C-MOVE-RQ']],
      [TAG.MessageID, o.messageId],
      [TAG.MoveDestination, o.moveDestination],
      [TAG.Priority, priority(getRq) ?? PRIORITY.MEDIUM],
      [TAG.CommandDataSetType, DATA_SET_PRESENT],
    ]),
  );
  return { ok: true, bytes, moveSopClassUid: moveClass };
}

/** C-STORE-RQ for a sub-operation (PS3.7 9.3.1.1). Move Originator only for C-MOVE sub-operations;
 *  leave them out when relaying onto a C-GET association (facts 2.7). */
export function cStoreRq(o: {
  messageId: number;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
  priority?: number;
  moveOriginatorAeTitle?: string;
  moveOriginatorMessageId?: number;
}): Buffer {
  const fields: Field[] = [
    [TAG.AffectedSOPClassUID, o.affectedSopClassUid],
    [TAG.CommandField, COMMAND_FIELD['C-STORE-RQ']],
    [TAG.MessageID, o.messageId],
    [TAG.Priority, o.priority ?? PRIORITY.MEDIUM],
    [TAG.CommandDataSetType, DATA_SET_PRESENT],
    [TAG.AffectedSOPInstanceUID, o.affectedSopInstanceUid],
  ];
  if (o.moveOriginatorAeTitle !== undefined) fields.push([TAG.MoveOriginatorApplicationEntityTitle, o.moveOriginatorAeTitle]);
  if (o.moveOriginatorMessageId !== undefined) fields.push([TAG.MoveOriginatorMessageID, o.moveOriginatorMessageId]);
  return encodeCommandSet(commandSetOf(fields));
}

/** C-CANCEL-RQ (PS3.7 9.3.2.3): no Message ID, no SOP class, never a data set (facts 2.3, 2.5). */
export function cCancelRq(o: { messageIdBeingRespondedTo: number }): Buffer {
  return encodeCommandSet(
    commandSetOf([
      [TAG.CommandField, COMMAND_FIELD['C-CANCEL-RQ']],
      [TAG.MessageIDBeingRespondedTo, o.messageIdBeingRespondedTo],
      [TAG.CommandDataSetType, NO_DATA_SET],
    ]),
  );
}

/** A final response, without data set, to any request the gateway answers itself (e.g. policy
 *  refusal 0x0124, unknown destination 0xA801): Command Field | 0x8000, the request's SOP class
 *  and, for C-STORE / N-services, its SOP instance as Affected SOP Instance UID (PS3.7 9.3, 10.3).
 *  Returns null for C-CANCEL-RQ and responses, which get no response. */
export function responseFor(rq: CommandSet, status: number, errorComment?: string): Buffer | null {
  const field = commandField(rq);
  const id = messageId(rq);
  if (field === undefined || field & 0x8000 || field === COMMAND_FIELD['C-CANCEL-RQ'] || id === undefined) return null;
  const fields: Field[] = [
    [TAG.CommandField, field | 0x8000],
    [TAG.MessageIDBeingRespondedTo, id],
    [TAG.CommandDataSetType, NO_DATA_SET],
    [TAG.Status, status],
  ];
  const sopClass = affectedSopClassUid(rq) ?? requestedSopClassUid(rq);
  if (sopClass !== undefined) fields.push([TAG.AffectedSOPClassUID, sopClass]);
  const sopInstance = affectedSopInstanceUid(rq) ?? requestedSopInstanceUid(rq);
  if (sopInstance !== undefined) fields.push([TAG.AffectedSOPInstanceUID, sopInstance]);
  if (errorComment !== undefined) fields.push([TAG.ErrorComment, errorComment]);
  return encodeCommandSet(commandSetOf(fields));
}

