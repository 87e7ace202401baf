// DIMSE command set codec, PS3.7 section 6.3 and Annex E: group 0000 elements, always Implicit VR
// Little Endian (the negotiated transfer syntax applies to the data set only, PS3.5 section 10).
//
// Why the framing is ours and not dcmjs': a relay must forward what it does not change byte for byte
// (dicom-facts 5.9), keep unknown and retired elements such as (0000,0010) Recognition Code
// (dicom-facts 2.1), tolerate duplicated elements (pynetdicom#554: first value wins, as DCMTK) and
// only re-encode the one element it rewrites. dcmjs' DicomMessage._read builds a dict keyed by tag,
// so duplicates collapse to the last value, element order and raw padding are lost, and its writer
// re-pads strings; dcmjs-dimse's getDenaturalizedCommandDataset goes through the same path. What
// dcmjs does give us for free is PS3.6's data dictionary: the VR of every group-0000 element
// (including retired ones) to pick the right pad byte, and the keyword for log lines. So element
// framing lives here (about 40 lines), dictionary look-ups go to dcmjs.DicomMetaDictionary.
import dcmjs from 'dcmjs';
import type { DecodeResult } from '../ul/types.ts';

/** Command element tags (group 0000, so the 32-bit tag equals the element number). PS3.7 Annex E. */
export const TAG = {
  CommandGroupLength: 0x0000,
  AffectedSOPClassUID: 0x0002,
  RequestedSOPClassUID: 0x0003,
  CommandField: 0x0100,
  MessageID: 0x0110,
  MessageIDBeingRespondedTo: 0x0120,
  MoveDestination: 0x0600,
  Priority: 0x0700,
  CommandDataSetType: 0x0800,
  Status: 0x0900,
  OffendingElement: 0x0901,
  ErrorComment: 0x0902,
  ErrorID: 0x0903,
  AffectedSOPInstanceUID: 0x1000,
  RequestedSOPInstanceUID: 0x1001,
  EventTypeID: 0x1002,
  AttributeIdentifierList: 0x1005,
  ActionTypeID: 0x1008,
  NumberOfRemainingSuboperations: 0x1020,
  NumberOfCompletedSuboperations: 0x1021,
  NumberOfFailedSuboperations: 0x1022,
  NumberOfWarningSuboperations: 0x1023,
  MoveOriginatorApplicationEntityTitle: 0x1030,
  MoveOriginatorMessageID: 0x1031,
} as const;

/** PS3.7 Annex E: 0x0101 means "no data set"; every other value means one follows (dicom-facts 2.2). */
export const NO_DATA_SET = 0x0101;
/** The value we write when we synthesize a command with a data set: DCMTK CLI and pynetdicom use it,
 *  and DCMTK <= 3.6.7 N-service paths tested `== 0x0001` (DCMTK issue #1045). */
export const DATA_SET_PRESENT = 0x0001;

/** PS3.7 Annex E Command Field values (Table E.1-1), requests; responses are request | 0x8000. */
export const COMMAND_FIELD = {
  'C-STORE-RQ': 0x0001,
  'C-STORE-RSP': 0x8001,
  'C-GET-RQ': 0x0010,
  'C-GET-RSP': 0x8010,
  'C-FIND-RQ': 0x0020,
  'C-FIND-RSP': 0x8020,
  'C-MOVE-RQ': 0x0021,
  'C-MOVE-RSP': 0x8021,
  'C-ECHO-RQ': 0x0030,
  'C-ECHO-RSP': 0x8030,
  'N-EVENT-REPORT-RQ': 0x0100,
  'N-EVENT-REPORT-RSP': 0x8100,
  'N-GET-RQ': 0x0110,
  'N-GET-RSP': 0x8110,
  'N-SET-RQ': 0x0120,
  'N-SET-RSP': 0x8120,
  'N-ACTION-RQ': 0x0130,
  'N-ACTION-RSP': 0x8130,
  'N-CREATE-RQ': 0x0140,
  'N-CREATE-RSP': 0x8140,
  'N-DELETE-RQ': 0x0150,
  'N-DELETE-RSP': 0x8150,
  'C-CANCEL-RQ': 0x0fff,
} as const;
export type CommandName = keyof typeof COMMAND_FIELD;

const NAME_BY_FIELD = new Map<number, CommandName>(
  (Object.entries(COMMAND_FIELD) as [CommandName, number][]).map(([name, field]) => [field, name]),
);

/** 'C-MOVE-RSP' for 0x8021; unknown values render as 'UNKNOWN-0x1234' so logs stay greppable. */
export function commandName(field: number): string {
  return NAME_BY_FIELD.get(field) ?? `UNKNOWN-0x${field.toString(16).padStart(4, '0')}`;
}

/** The DIMSE service of a command field: 'C-STORE' for both 0x0001 and 0x8001; 'C-CANCEL' for 0x0FFF. */
export function serviceName(field: number): string {
  const name = NAME_BY_FIELD.get(field);
  return name ? name.replace(/-(RQ|RSP)$/, '') : commandName(field);
}

/** True for response command fields (bit 15 set, PS3.7 Annex E). C-CANCEL-RQ is a request. */
export function isResponse(field: number): boolean {
  return (field & 0x8000) !== 0;
}

/** One command element as on the wire: tag and value bytes exactly as received (padding included). */
export interface CommandElement {
  readonly tag: number;
  readonly value: Buffer;
}

/** A command set: its elements in received order, duplicates and unknown tags kept. Immutable; the
 *  `with*`/`without` helpers return new sets. (0000,0000) is kept as received but ignored by the
 *  encoder, which always recomputes it. */
export interface CommandSet {
  readonly elements: readonly CommandElement[];
}

const ELEMENT_HEADER = 8; // tag group, tag element (uint16 LE each), value length (uint32 LE)
const UNDEFINED_LENGTH = 0xffffffff;

function invalid(message: string): DecodeResult<never> {
  // A malformed command set is a malformed P-DATA parameter for the relay: A-ABORT 2/6.
  return { ok: false, error: { kind: 'invalid-pdu-parameter-value', message } };
}

/** Parse a complete, reassembled command set (never a single PDV: PS3.8 E.1 Note 2). Lenient on what
 *  DCMTK tolerates (duplicates, odd lengths, a wrong or missing group length, unknown elements), strict
 *  on what makes the bytes unreadable: truncation, undefined length, a group other than 0000, and a
 *  missing Command Field or Command Data Set Type (both mandatory in every command, PS3.7 E.1-1). */
export function decodeCommandSet(bytes: Buffer): DecodeResult<CommandSet> {
  const elements: CommandElement[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < ELEMENT_HEADER) {
      return invalid(`command set: ${bytes.length - offset} trailing bytes at offset ${offset}, less than an element header`);
    }
    const group = bytes.readUInt16LE(offset);
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    if (group !== 0x0000) {
      return invalid(`command set: element ${tagString(group * 0x10000 + element)} outside group 0000 at offset ${offset}`);
    }
    if (length === UNDEFINED_LENGTH) {
      return invalid(`command set: undefined length for ${tagString(element)} (Implicit VR LE commands have none)`);
    }
    const start = offset + ELEMENT_HEADER;
    if (length > bytes.length - start) {
      return invalid(`command set: ${tagString(element)} length ${length} exceeds the ${bytes.length - start} bytes left`);
    }
    // Copy: the caller's PDV buffers are pooled/reused by the framer; a CommandSet must stay valid.
    elements.push({ tag: element, value: Buffer.from(bytes.subarray(start, start + length)) });
    offset = start + length;
  }
  const cs: CommandSet = { elements };
  if (commandField(cs) === undefined) return invalid('command set: no (0000,0100) Command Field');
  if (dataSetType(cs) === undefined) return invalid('command set: no (0000,0800) Command Data Set Type');
  return { ok: true, value: cs };
}

/** Canonical encoding: elements sorted by tag (stable, so duplicates keep their order), every odd
 *  value padded to even (PS3.5 7.1.1: UI with 0x00, other strings with 0x20), and (0000,0000) Command
 *  Group Length recomputed as the byte count of all elements after it (PS3.7 6.3, dicom-facts 2.1). */
export function encodeCommandSet(cs: CommandSet): Buffer {
  const body = cs.elements
    .filter((e) => e.tag !== TAG.CommandGroupLength)
    .map((e) => ({ tag: e.tag, value: padEven(e.tag, e.value) }))
    .sort((a, b) => a.tag - b.tag);
  const groupLength = body.reduce((n, e) => n + ELEMENT_HEADER + e.value.length, 0);
  const out = Buffer.alloc(ELEMENT_HEADER + 4 + groupLength);
  out.writeUInt32LE(4, 4); // (0000,0000) UL, length 4
  out.writeUInt32LE(groupLength, 8);
  let offset = 12;
  for (const e of body) {
    out.writeUInt16LE(0x0000, offset);
    out.writeUInt16LE(e.tag, offset + 2);
    out.writeUInt32LE(e.value.length, offset + 4);
    e.value.copy(out, offset + ELEMENT_HEADER);
    offset += ELEMENT_HEADER + e.value.length;
  }
  return out;
}

// ---- dictionary (dcmjs) --------------------------------------------------------------------------

const dictionary = dcmjs.data.DicomMetaDictionary.dictionary;

/** '(0000,0600)' */
export function tagString(tag: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(Math.floor(tag / 0x10000))},${hex(tag & 0xffff)})`;
}

/** VR of a group-0000 element from PS3.6 via dcmjs; 'UN' when the dictionary does not know it. */
export function commandElementVr(tag: number): string {
  return dictionary[tagString(tag)]?.vr ?? 'UN';
}

/** PS3.6 keyword ('MoveDestination', 'RETIRED_CommandRecognitionCode') or the tag string. */
export function commandElementName(tag: number): string {
  return dictionary[tagString(tag)]?.name ?? tagString(tag);
}

const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT']);

function padEven(tag: number, value: Buffer): Buffer {
  if (value.length % 2 === 0) return value;
  const vr = commandElementVr(tag);
  const pad = STRING_VRS.has(vr) ? 0x20 : 0x00; // UI and binary VRs pad with NUL (PS3.5 6.2)
  return Buffer.concat([value, Buffer.from([pad])]);
}

// ---- accessors -----------------------------------------------------------------------------------

function first(cs: CommandSet, tag: number): CommandElement | undefined {
  return cs.elements.find((e) => e.tag === tag);
}

/** First value of a US element (a multi-valued or duplicated count yields its first value, as DCMTK). */
export function getUint16(cs: CommandSet, tag: number): number | undefined {
  const e = first(cs, tag);
  return e && e.value.length >= 2 ? e.value.readUInt16LE(0) : undefined;
}

/** A string element with its padding removed: trailing NUL/space always (UI pads with NUL, others
 *  with space, and some peers get it wrong), leading spaces too for AE/LO where they are not
 *  significant (PS3.5 6.2). */
export function getString(cs: CommandSet, tag: number): string | undefined {
  const e = first(cs, tag);
  if (!e) return undefined;
  const s = e.value.toString('latin1').replace(/[\0 ]+$/, '');
  return commandElementVr(tag) === 'UI' ? s : s.replace(/^ +/, '');
}

export const commandField = (cs: CommandSet) => getUint16(cs, TAG.CommandField);
export const messageId = (cs: CommandSet) => getUint16(cs, TAG.MessageID);
export const messageIdBeingRespondedTo = (cs: CommandSet) => getUint16(cs, TAG.MessageIDBeingRespondedTo);
export const affectedSopClassUid = (cs: CommandSet) => getString(cs, TAG.AffectedSOPClassUID);
export const requestedSopClassUid = (cs: CommandSet) => getString(cs, TAG.RequestedSOPClassUID);
export const affectedSopInstanceUid = (cs: CommandSet) => getString(cs, TAG.AffectedSOPInstanceUID);
export const requestedSopInstanceUid = (cs: CommandSet) => getString(cs, TAG.RequestedSOPInstanceUID);
export const moveDestination = (cs: CommandSet) => getString(cs, TAG.MoveDestination);
export const priority = (cs: CommandSet) => getUint16(cs, TAG.Priority);
export const dataSetType = (cs: CommandSet) => getUint16(cs, TAG.CommandDataSetType);
export const status = (cs: CommandSet) => getUint16(cs, TAG.Status);
export const errorComment = (cs: CommandSet) => getString(cs, TAG.ErrorComment);
export const numberOfRemainingSuboperations = (cs: CommandSet) => getUint16(cs, TAG.NumberOfRemainingSuboperations);
export const numberOfCompletedSuboperations = (cs: CommandSet) => getUint16(cs, TAG.NumberOfCompletedSuboperations);
export const numberOfFailedSuboperations = (cs: CommandSet) => getUint16(cs, TAG.NumberOfFailedSuboperations);
export const numberOfWarningSuboperations = (cs: CommandSet) => getUint16(cs, TAG.NumberOfWarningSuboperations);
export const moveOriginatorAeTitle = (cs: CommandSet) => getString(cs, TAG.MoveOriginatorApplicationEntityTitle);
export const moveOriginatorMessageId = (cs: CommandSet) => getUint16(cs, TAG.MoveOriginatorMessageID);

/** PS3.7 Annex E: only 0x0101 means "no data set" (dicom-facts 5.10: 0x0001/0x0102/0x0202 all occur). */
export function hasDataSet(cs: CommandSet): boolean {
  const t = dataSetType(cs);
  return t !== undefined && t !== NO_DATA_SET;
}

export function has(cs: CommandSet, tag: number): boolean {
  return first(cs, tag) !== undefined;
}

// ---- setters (return new sets) -------------------------------------------------------------------

/** Replace the first occurrence in place (keeps received order) and drop duplicates, so a peer that
 *  reads the last value sees the same as one that reads the first; append when absent. */
function withValue(cs: CommandSet, tag: number, value: Buffer): CommandSet {
  const elements: CommandElement[] = [];
  let placed = false;
  for (const e of cs.elements) {
    if (e.tag !== tag) elements.push(e);
    else if (!placed) {
      elements.push({ tag, value });
      placed = true;
    }
  }
  if (!placed) elements.push({ tag, value });
  return { elements };
}

export function withUint16(cs: CommandSet, tag: number, v: number): CommandSet {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${tagString(tag)}: ${v} is not a US value`);
  const value = Buffer.alloc(2);
  value.writeUInt16LE(v, 0);
  return withValue(cs, tag, value);
}

/** Set a string element, padded to even length by VR (UI with 0x00, others with 0x20). Throws
 *  RangeError for values the VR cannot hold (AE > 16 chars, non-ASCII): callers pass configured or
 *  decoded values, so this is a programming error, not peer input. */
export function withString(cs: CommandSet, tag: number, s: string): CommandSet {
  const vr = commandElementVr(tag);
  if (!/^[\x20-\x7e]*$/.test(s)) throw new RangeError(`${tagString(tag)}: value must be printable ASCII`);
  if (vr === 'AE' && s.length > 16) throw new RangeError(`${tagString(tag)}: AE title '${s}' longer than 16`);
  if (vr === 'UI' && s.length > 64) throw new RangeError(`${tagString(tag)}: UID longer than 64`);
  return withValue(cs, tag, padEven(tag, Buffer.from(s, 'latin1')));
}

export function without(cs: CommandSet, tag: number): CommandSet {
  return { elements: cs.elements.filter((e) => e.tag !== tag) };
}

/** Build a set from scratch (messages.ts); values are encoded by the same setters. */
export function commandSetOf(fields: ReadonlyArray<readonly [number, number | string]>): CommandSet {
  let cs: CommandSet = { elements: [] };
  for (const [tag, v] of fields) cs = typeof v === 'number' ? withUint16(cs, tag, v) : withString(cs, tag, v);
  return cs;
}

/** One-line summary for logs: 'C-MOVE-RQ id=7 dest=STORESCP ds=yes'. */
export function describeCommand(cs: CommandSet): string {
  const parts = [commandName(commandField(cs) ?? 0xffff)];
  const id = messageId(cs);
  if (id !== undefined) parts.push(`id=${id}`);
  const rt = messageIdBeingRespondedTo(cs);
  if (rt !== undefined) parts.push(`rsp-to=${rt}`);
  const st = status(cs);
  if (st !== undefined) parts.push(`status=0x${st.toString(16).padStart(4, '0')}`);
  const dest = moveDestination(cs);
  if (dest !== undefined) parts.push(`dest=${dest}`);
  parts.push(`ds=${hasDataSet(cs) ? 'yes' : 'no'}`);
  return parts.join(' ');
}
