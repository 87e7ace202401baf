// Audit events as plain values (pure: no I/O). Sinks (sinks/*.ts) write them. Field names are part
// of the external contract (CONTRACT.md, Audit): time, event, listener, peer, callingAe, calledAe,
// node, tlsSubject, outcome, reason.

export type AuditEventName =
  | 'association-accepted'
  | 'association-rejected'
  | 'association-released'
  | 'association-aborted'
  | 'tls-failure'
  | 'certificate-failure'
  | 'protocol-error'
  | 'move-destination-rejected'
  | 'dimse-request-refused'
  | 'config-reload'
  | 'gateway-started'
  | 'gateway-stopped';

export interface AuditEvent {
  time: string; // ISO 8601
  event: AuditEventName;
  listener: string | null;
  peer: string | null; // address:port of the remote side
  callingAe: string | null;
  calledAe: string | null;
  node: string | null;
  tlsSubject: string | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  associationId?: string;
  dimse?: Record<string, number>; // requests relayed, by command
  bytesToNode?: number;
  bytesToCaller?: number;
  durationMs?: number;
  detail?: Record<string, unknown>;
}

export type AuditFields = Omit<AuditEvent, 'time' | 'listener' | 'peer' | 'callingAe' | 'calledAe' | 'node' | 'tlsSubject' | 'reason'> &
  Partial<Pick<AuditEvent, 'listener' | 'peer' | 'callingAe' | 'calledAe' | 'node' | 'tlsSubject' | 'reason'>>;

/** Fill the contract's fields (null where unknown) and stamp the time. */
export function auditEvent(fields: AuditFields, now: Date = new Date()): AuditEvent {
  return {
    time: now.toISOString(),
    listener: null,
    peer: null,
    callingAe: null,
    calledAe: null,
    node: null,
    tlsSubject: null,
    reason: null,
    ...fields,
  };
}

/** Where audit events go. The relay calls record() and never waits for it. */
export interface AuditSink {
  record(e: AuditEvent): void;
  close(): Promise<void>;
}
