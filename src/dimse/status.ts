// DIMSE status classification and names, PS3.7 Annex C, PS3.4 B.2.3 / C.4.x (dicom-facts 2.4).
// The class decides what the relay does: 'pending' means more responses follow for the same
// Message ID; everything else is final. Unknown codes are classed as failure (DCMTK's rule of
// thumb and fail-closed: an unknown code must never look like success).

export type StatusClass = 'success' | 'pending' | 'cancel' | 'warning' | 'failure';

export const STATUS = {
  Success: 0x0000,
  Pending: 0xff00,
  PendingOptionalKeysNotSupported: 0xff01,
  Cancel: 0xfe00,
  Warning: 0x0001,
  SubOperationsCompleteWithFailures: 0xb000, // C-MOVE/C-GET warning; C-STORE coercion of data elements
  OutOfResources: 0xa700,
  OutOfResourcesUnableToCalculateMatches: 0xa701,
  OutOfResourcesUnableToPerformSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc000,
  SopClassNotSupported: 0x0122,
  NotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
} as const;

/** PS3.7 C.1-C.5 plus DCMTK's dimse.h classifier: failure = 0xAxxx, 0xCxxx, 0x01xx except 0x0107
 *  and 0x0116 (warnings), 0x02xx. */
export function statusClass(code: number): StatusClass {
  if (code === 0x0000) return 'success';
  if (code === 0xff00 || code === 0xff01) return 'pending';
  if (code === 0xfe00) return 'cancel';
  if (code === 0x0001 || code === 0x0107 || code === 0x0116 || (code & 0xf000) === 0xb000) return 'warning';
  return 'failure';
}

/** A response with this status ends the operation (no more responses for that Message ID). */
export function isFinalStatus(code: number): boolean {
  return statusClass(code) !== 'pending';
}

const NAMES = new Map<number, string>([
  [0x0000, 'Success'],
  [0xff00, 'Pending'],
  [0xff01, 'Pending: optional keys not supported'],
  [0xfe00, 'Cancel'],
  [0x0001, 'Warning'],
  [0x0107, 'Warning: attribute list error'],
  [0x0116, 'Warning: attribute value out of range'],
  [0xb000, 'Warning: coercion of data elements / sub-operations complete with failures'],
  [0xb006, 'Warning: elements discarded'],
  [0xb007, 'Warning: data set does not match SOP class'],
  [0xa700, 'Refused: out of resources'],
  [0xa701, 'Refused: out of resources, unable to calculate number of matches'],
  [0xa702, 'Refused: out of resources, unable to perform sub-operations'],
  [0xa801, 'Refused: move destination unknown'],
  [0xa900, 'Error: identifier does not match SOP class'],
  [0xaa00, 'Failed: none of the frames requested were found'],
  [0xaa01, 'Failed: unable to create new object for this SOP class'],
  [0xaa02, 'Failed: unable to extract frames'],
  [0xaa03, 'Failed: time-based request for non-time-based image'],
  [0xaa04, 'Failed: invalid request'],
  [0xc000, 'Error: unable to process'],
  [0xc100, 'Failed: more than one match found'],
  [0xc200, 'Failed: unable to support requested template'],
  [0x0105, 'Failure: no such attribute'],
  [0x0106, 'Failure: invalid attribute value'],
  [0x0110, 'Failure: processing failure'],
  [0x0111, 'Failure: duplicate SOP instance'],
  [0x0112, 'Failure: no such SOP instance'],
  [0x0113, 'Failure: no such event type'],
  [0x0114, 'Failure: no such argument'],
  [0x0115, 'Failure: invalid argument value'],
  [0x0117, 'Failure: invalid object instance'],
  [0x0118, 'Failure: no such SOP class'],
  [0x0119, 'Failure: class-instance conflict'],
  [0x0120, 'Failure: missing attribute'],
  [0x0121, 'Failure: missing attribute value'],
  [0x0122, 'Refused: SOP class not supported'],
  [0x0123, 'Failure: no such action'],
  [0x0124, 'Refused: not authorized'],
  [0x0210, 'Failure: duplicate invocation'],
  [0x0211, 'Failure: unrecognized operation'],
  [0x0212, 'Failure: mistyped argument'],
  [0x0213, 'Failure: resource limitation'],
]);

/** Human name for logs; ranges the standard leaves to the SCP get their class name. */
export function statusName(code: number): string {
  const known = NAMES.get(code);
  if (known) return known;
  if ((code & 0xff00) === 0xa700) return 'Refused: out of resources';
  if ((code & 0xf000) === 0xa000) return 'Error: data set does not match SOP class';
  if ((code & 0xf000) === 0xc000) return 'Error: unable to process';
  if ((code & 0xf000) === 0xb000) return 'Warning';
  return statusClass(code) === 'failure' ? 'Failure' : 'Unknown';
}

/** '0xA801 Refused: move destination unknown (failure)' */
export function formatStatus(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')} ${statusName(code)} (${statusClass(code)})`;
}
