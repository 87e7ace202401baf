// Code tables of the PS3.8 upper layer: item types (section 9.3, Annex D), A-ASSOCIATE-RJ
// result/source/reason (Table 9-21), A-ABORT source/reason (Table 9-26) and presentation context
// results (Table 9-18). The describe* helpers turn codes into log text; nothing here decides policy.

/** Variable item and user information sub-item types, PS3.8 Tables 9-11..9-20 and Annex D. */
export const ITEM_TYPE = {
  applicationContext: 0x10,
  presentationContextRq: 0x20,
  presentationContextAc: 0x21,
  abstractSyntax: 0x30,
  transferSyntax: 0x40,
  userInformation: 0x50,
  maximumLength: 0x51,
  implementationClassUid: 0x52,
  asyncOperationsWindow: 0x53,
  roleSelection: 0x54,
  implementationVersionName: 0x55,
  sopClassExtendedNegotiation: 0x56,
  sopClassCommonExtendedNegotiation: 0x57,
  userIdentityRq: 0x58,
  userIdentityAc: 0x59,
} as const;

const ITEM_NAMES: Record<number, string> = {
  0x10: 'application context item',
  0x20: 'presentation context item',
  0x21: 'presentation context item (AC)',
  0x30: 'abstract syntax sub-item',
  0x40: 'transfer syntax sub-item',
  0x50: 'user information item',
  0x51: 'maximum length sub-item',
  0x52: 'implementation class UID sub-item',
  0x53: 'asynchronous operations window sub-item',
  0x54: 'SCP/SCU role selection sub-item',
  0x55: 'implementation version name sub-item',
  0x56: 'SOP class extended negotiation sub-item',
  0x57: 'SOP class common extended negotiation sub-item',
  0x58: 'user identity sub-item (RQ)',
  0x59: 'user identity sub-item (AC)',
};

export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** Log name of an item type, e.g. 'presentation context item'; unknown types as 'item 0xEE'. */
export function itemTypeName(type: number): string {
  return ITEM_NAMES[type] ?? `item ${hex2(type)}`;
}

/** Presentation context result/reason, PS3.8 Table 9-18 (item 0x21 byte 6). */
export const PRESENTATION_CONTEXT_RESULT: Record<number, string> = {
  0: 'acceptance',
  1: 'user-rejection',
  2: 'no-reason (provider rejection)',
  3: 'abstract-syntax-not-supported (provider rejection)',
  4: 'transfer-syntaxes-not-supported (provider rejection)',
};

/** A-ASSOCIATE-RJ Result, PS3.8 Table 9-21. */
export const REJECT_RESULT: Record<number, string> = {
  1: 'rejected-permanent',
  2: 'rejected-transient',
};

/** A-ASSOCIATE-RJ Source, PS3.8 Table 9-21. */
export const REJECT_SOURCE: Record<number, string> = {
  1: 'DICOM UL service-user',
  2: 'DICOM UL service-provider (ACSE related function)',
  3: 'DICOM UL service-provider (Presentation related function)',
};

/** A-ASSOCIATE-RJ Reason/Diag., per Source, PS3.8 Table 9-21. Unlisted values are reserved. */
export const REJECT_REASON: Record<number, Record<number, string>> = {
  1: {
    1: 'no-reason-given',
    2: 'application-context-name-not-supported',
    3: 'calling-AE-title-not-recognized',
    7: 'called-AE-title-not-recognized',
  },
  2: {
    1: 'no-reason-given',
    2: 'protocol-version-not-supported',
  },
  3: {
    1: 'temporary-congestion',
    2: 'local-limit-exceeded',
  },
};

/** A-ABORT Source, PS3.8 Table 9-26. */
export const ABORT_SOURCE: Record<number, string> = {
  0: 'DICOM UL service-user (initiated abort)',
  1: 'reserved',
  2: 'DICOM UL service-provider (initiated abort)',
};

/** A-ABORT Reason/Diag. for Source 2, PS3.8 Table 9-26 (for Source 0 the reason is not significant). */
export const ABORT_REASON: Record<number, string> = {
  0: 'reason-not-specified',
  1: 'unrecognized-PDU',
  2: 'unexpected-PDU',
  3: 'reserved',
  4: 'unrecognized-PDU-parameter',
  5: 'unexpected-PDU-parameter',
  6: 'invalid-PDU-parameter-value',
};

function named(table: Record<number, string> | undefined, code: number, fallback: string): string {
  return table?.[code] ?? `${fallback} (${code})`;
}

/** Log text for an A-ASSOCIATE-RJ, e.g.
 *  'rejected-permanent, source DICOM UL service-user, reason called-AE-title-not-recognized (1/1/7)'. */
export function describeReject(result: number, source: number, reason: number): string {
  return (
    `${named(REJECT_RESULT, result, 'unknown result')}, ` +
    `source ${named(REJECT_SOURCE, source, 'unknown')}, ` +
    `reason ${named(REJECT_REASON[source], reason, 'reserved')} (${result}/${source}/${reason})`
  );
}

/** Log text for an A-ABORT, e.g. 'DICOM UL service-provider (initiated abort), reason unexpected-PDU (2/2)'. */
export function describeAbort(source: number, reason: number): string {
  // PS3.8 Table 9-26: the reason field is only significant when the provider aborted.
  const why = source === 2 ? `reason ${named(ABORT_REASON, reason, 'reserved')}` : 'reason not significant';
  return `${named(ABORT_SOURCE, source, 'unknown source')}, ${why} (${source}/${reason})`;
}
