// Every A-ASSOCIATE-RJ the gateway itself sends, in one table, so decide.ts, the relay and the
// tests agree on the codes. Values from PS3.8 Table 9-21 (dicom-facts 1.6); which check uses which
// row is CONTRACT "Association handling". A node's own A-ASSOCIATE-RJ is relayed unchanged and is
// not listed here.
import type { RejectionReason } from '../obs/metrics.ts';

/** PS3.8 Table 9-21: 1 rejected-permanent, 2 rejected-transient. */
export type RjResult = 1 | 2;
/** PS3.8 Table 9-21: 1 UL service-user, 2 UL service-provider (ACSE), 3 UL service-provider (Presentation). */
export type RjSource = 1 | 2 | 3;

export interface RejectCode {
  result: RjResult;
  source: RjSource;
  /** Reason/Diag., meaning depends on source (PS3.8 Table 9-21). */
  reason: number;
  /** Label value for dicom_gateway_association_rejections_total (CONTRACT "Metrics"). */
  metricReason: RejectionReason;
}

export const REJECT_CODES = {
  // maxAssociations / maxAssociationsPerNode: transient, presentation provider, 2 local-limit-exceeded.
  limit: { result: 2, source: 3, reason: 2, metricReason: 'limit' },
  // Called AE is neither a node nor the gateway: permanent, service-user, 7 called-AE-title-not-recognized.
  'called-ae-not-recognized': { result: 1, source: 1, reason: 7, metricReason: 'called-ae-not-recognized' },
  // Calling AE is not a node: permanent, service-user, 3 calling-AE-title-not-recognized.
  'calling-ae-not-recognized': { result: 1, source: 1, reason: 3, metricReason: 'calling-ae-not-recognized' },
  // Calling AE is a node but its certificate does not carry the configured identity (or there is no
  // certificate): same wire code as an unknown calling AE, counted separately.
  certificate: { result: 1, source: 1, reason: 3, metricReason: 'certificate' },
  // checkHost: the source address is not the node's host. Wire and metric as an unknown calling AE
  // (CONTRACT row "Calling AE is a node; ... the source address matches host").
  'source-address': { result: 1, source: 1, reason: 3, metricReason: 'calling-ae-not-recognized' },
  // No rule allows calling -> called: permanent, service-user, 3.
  'not-allowed': { result: 1, source: 1, reason: 3, metricReason: 'not-allowed' },
  // Called node has reachable: false: transient, presentation provider, 1 temporary-congestion.
  'node-unreachable': { result: 2, source: 3, reason: 1, metricReason: 'node-unreachable' },
  // The relay could not connect to the node (refused, timeout, TLS failure) or it closed without an
  // answer: same code as reachable: false.
  'node-connect-failed': { result: 2, source: 3, reason: 1, metricReason: 'node-unreachable' },
} as const satisfies Record<string, RejectCode>;

export type RejectCodeName = keyof typeof REJECT_CODES;
