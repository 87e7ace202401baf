// PS3.8 upper layer PDUs as typed values. Names follow PS3.8 section 9.3 so a reader with the
// standard open finds each field. Codecs (pdu/*.ts, items/*.ts) map these to bytes and back; the
// framer (framer.ts) cuts a byte stream into PDUs. Nothing here touches a socket.

export const PDU_TYPE = {
  'A-ASSOCIATE-RQ': 0x01,
  'A-ASSOCIATE-AC': 0x02,
  'A-ASSOCIATE-RJ': 0x03,
  'P-DATA-TF': 0x04,
  'A-RELEASE-RQ': 0x05,
  'A-RELEASE-RP': 0x06,
  'A-ABORT': 0x07,
} as const;
export type PduTypeName = keyof typeof PDU_TYPE;

/** Presentation context item 0x20 (RQ). PS3.8 Table 9-13. */
export interface PresentationContextRq {
  id: number; // odd 1..255
  abstractSyntax: string; // sub-item 0x30
  transferSyntaxes: string[]; // sub-items 0x40
}

/** Presentation context item 0x21 (AC). PS3.8 Table 9-18. result: 0 acceptance, 1 user-rejection,
 *  2 no-reason, 3 abstract-syntax-not-supported, 4 transfer-syntaxes-not-supported. */
export interface PresentationContextAc {
  id: number;
  result: number;
  transferSyntax: string; // sub-item 0x40 (may be '' when not accepted)
}

/** SCP/SCU Role Selection sub-item 0x54. PS3.7 D.3.3.4: SCU role byte then SCP role byte. */
export interface RoleSelection {
  sopClassUid: string;
  scuRole: number; // 0 | 1
  scpRole: number; // 0 | 1
}

/** Any user-information sub-item the codec keeps as raw bytes (0x56, 0x57, 0x58, 0x59, unknown).
 *  `data` is the item body after the 4-byte item header; re-encoding writes it back byte for byte. */
export interface RawSubItem {
  itemType: number;
  data: Buffer;
}

/** User Information item 0x50. PS3.8 Annex D, PS3.7 Annex D.3.3. */
export interface UserInformation {
  maxLength?: number; // 0x51; 0 = unlimited
  implementationClassUid?: string; // 0x52
  asyncOpsWindow?: { maxOperationsInvoked: number; maxOperationsPerformed: number }; // 0x53
  roleSelections: RoleSelection[]; // 0x54
  implementationVersionName?: string; // 0x55
  /** Every other sub-item (0x56 extended negotiation, 0x57, 0x58/0x59 user identity, unknown types),
   *  kept raw, in the order received. Encoded after the known ones. */
  otherItems: RawSubItem[];
}

/** A-ASSOCIATE-RQ, PS3.8 Table 9-11. */
export interface AAssociateRq {
  type: 'A-ASSOCIATE-RQ';
  protocolVersion: number; // 1
  calledAeTitle: string; // trimmed of padding spaces
  callingAeTitle: string; // trimmed
  /** Bytes 10..73 of the PDU exactly as received (called, calling, 32 reserved); the AC must echo them. */
  reservedEcho?: Buffer;
  applicationContextName: string; // item 0x10
  presentationContexts: PresentationContextRq[];
  userInformation: UserInformation;
}

/** A-ASSOCIATE-AC, PS3.8 Table 9-17. AE title fields are "reserved: echo the RQ"; kept raw. */
export interface AAssociateAc {
  type: 'A-ASSOCIATE-AC';
  protocolVersion: number;
  /** Bytes 10..73 (64 bytes) as on the wire; encode writes them verbatim. */
  reservedEcho: Buffer;
  applicationContextName: string;
  presentationContexts: PresentationContextAc[];
  userInformation: UserInformation;
}

/** A-ASSOCIATE-RJ, PS3.8 Table 9-21. */
export interface AAssociateRj {
  type: 'A-ASSOCIATE-RJ';
  result: number; // 1 permanent, 2 transient
  source: number; // 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation)
  reason: number;
}

/** One presentation data value item inside a P-DATA-TF, PS3.8 Table 9-23 and Annex E.2. */
export interface Pdv {
  presentationContextId: number;
  isCommand: boolean; // message control header bit 0
  isLast: boolean; // bit 1
  data: Buffer; // the fragment
}

export interface PDataTf {
  type: 'P-DATA-TF';
  pdvs: Pdv[];
}

export interface AReleaseRq {
  type: 'A-RELEASE-RQ';
}
export interface AReleaseRp {
  type: 'A-RELEASE-RP';
}

/** A-ABORT, PS3.8 Table 9-26. source 0 service-user, 2 service-provider; reason only significant for source 2. */
export interface AAbort {
  type: 'A-ABORT';
  source: number;
  reason: number;
}

export type Pdu = AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort;

/** Why bytes could not be decoded; maps onto A-ABORT provider reasons (PS3.8 Table 9-26). */
export type DecodeErrorKind =
  | 'unrecognized-pdu' // unknown PDU type: A-ABORT 2/1
  | 'unexpected-pdu' // valid PDU, wrong state: 2/2 (used by the relay, not the codec)
  | 'unrecognized-pdu-parameter' // unknown item where one is required: 2/4
  | 'unexpected-pdu-parameter' // 2/5
  | 'invalid-pdu-parameter-value' // bad lengths, truncated items, bad values: 2/6
  | 'pdu-too-large'; // header length over the configured cap: 2/6

export interface DecodeError {
  kind: DecodeErrorKind;
  message: string; // human text for logs, e.g. 'presentation context item 0x20 length 9 exceeds PDU'
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/** A-ABORT reason for each decode error kind (source is always 2, service-provider). */
export const ABORT_REASON_FOR: Record<DecodeErrorKind, number> = {
  'unrecognized-pdu': 1,
  'unexpected-pdu': 2,
  'unrecognized-pdu-parameter': 4,
  'unexpected-pdu-parameter': 5,
  'invalid-pdu-parameter-value': 6,
  'pdu-too-large': 6,
};
