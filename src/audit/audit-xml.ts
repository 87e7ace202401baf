// AuditEvent -> DICOM audit message (PS3.15 A.5, the DICOM extension of RFC 3881). Pure: the syslog
// sink wraps the string in RFC 5424. Event IDs and type codes are DCM codes from PS3.16 CID 400/401.
//
// Gateway mapping (dicom-facts section 4), one message per outcome (A.5.2):
//   gateway-started / gateway-stopped     110100 Application Activity, 110120 Start / 110121 Stop
//   config-reload                         110100 Application Activity, 110129 Security Configuration
//                                         (a reload swaps certificates and access rules)
//   association-accepted                  110114 User Authentication, 110122 Login (the calling AE,
//                                         authenticated by AE/certificate/address, starts a session)
//   association-released / -aborted       110114 User Authentication, 110123 Logout (aborted: failure)
//   tls-failure / certificate-failure     110113 Security Alert, 110126 Node Authentication
//   association-rejected, reason
//     certificate, calling-ae-not-recognized  110113 Security Alert, 110126 Node Authentication
//     not-allowed, called-ae-not-recognized   110113 Security Alert, 110147 Access Control Decision
//     limit, node-unreachable (no security    110114 User Authentication, 110122 Login, failed:
//       decision, the session just failed)    not a security alert, but still audited
//   move-destination-rejected             110113 Security Alert, 110147 Access Control Decision
//   protocol-error                        110114 User Authentication, 110123 Logout, failed (the
//                                         gateway aborted the session)
import type { AuditEvent } from './events.ts';

export interface AuditXmlOptions {
  /** AuditSourceID: the gateway's AE title. */
  sourceId: string;
  /** Host name or IP of the gateway, used as its NetworkAccessPointID. */
  hostName?: string;
  enterpriseSiteId?: string;
  /** The gateway process id, given as its AlternativeUserID (A.5.3 convention for processes). */
  processId?: string | number;
}

interface Code {
  code: string;
  system: string;
  text: string;
}

const dcm = (code: string, text: string): Code => ({ code, system: 'DCM', text });

export const EVENT_IDS = {
  applicationActivity: dcm('110100', 'Application Activity'),
  securityAlert: dcm('110113', 'Security Alert'),
  userAuthentication: dcm('110114', 'User Authentication'),
} as const;

export const EVENT_TYPES = {
  applicationStart: dcm('110120', 'Application Start'),
  applicationStop: dcm('110121', 'Application Stop'),
  login: dcm('110122', 'Login'),
  logout: dcm('110123', 'Logout'),
  nodeAuthentication: dcm('110126', 'Node Authentication'),
  securityConfiguration: dcm('110129', 'Security Configuration'),
  accessControlDecision: dcm('110147', 'Access Control Decision'),
} as const;

const ROLE_APPLICATION = dcm('110150', 'Application');
const ROLE_SOURCE = dcm('110153', 'Source Role ID');
const ROLE_DESTINATION = dcm('110152', 'Destination Role ID');
const NODE_ID = dcm('110182', 'Node ID');

/** EventOutcomeIndicator values (A.5.1). */
export const OUTCOME = { success: '0', minor: '4', serious: '8', major: '12' } as const;

export interface AuditClassification {
  eventId: Code;
  eventType: Code;
  outcome: (typeof OUTCOME)[keyof typeof OUTCOME];
  action: 'C' | 'R' | 'U' | 'D' | 'E';
}

export function classify(e: AuditEvent): AuditClassification {
  const failed = e.outcome === 'failure';
  const ok = failed ? OUTCOME.minor : OUTCOME.success;
  switch (e.event) {
    case 'gateway-started':
      return { eventId: EVENT_IDS.applicationActivity, eventType: EVENT_TYPES.applicationStart, outcome: ok, action: 'E' };
    case 'gateway-stopped':
      return { eventId: EVENT_IDS.applicationActivity, eventType: EVENT_TYPES.applicationStop, outcome: ok, action: 'E' };
    case 'config-reload':
      return { eventId: EVENT_IDS.applicationActivity, eventType: EVENT_TYPES.securityConfiguration, outcome: ok, action: 'U' };
    case 'association-accepted':
      return { eventId: EVENT_IDS.userAuthentication, eventType: EVENT_TYPES.login, outcome: ok, action: 'E' };
    case 'association-released':
      return { eventId: EVENT_IDS.userAuthentication, eventType: EVENT_TYPES.logout, outcome: ok, action: 'E' };
    case 'association-aborted':
    case 'protocol-error':
      return { eventId: EVENT_IDS.userAuthentication, eventType: EVENT_TYPES.logout, outcome: OUTCOME.minor, action: 'E' };
    case 'tls-failure':
    case 'certificate-failure':
      return { eventId: EVENT_IDS.securityAlert, eventType: EVENT_TYPES.nodeAuthentication, outcome: OUTCOME.serious, action: 'E' };
    case 'move-destination-rejected':
    case 'dimse-request-refused':
      return { eventId: EVENT_IDS.securityAlert, eventType: EVENT_TYPES.accessControlDecision, outcome: OUTCOME.minor, action: 'E' };
    case 'association-rejected':
      if (e.reason === 'certificate' || e.reason === 'calling-ae-not-recognized') {
        return { eventId: EVENT_IDS.securityAlert, eventType: EVENT_TYPES.nodeAuthentication, outcome: OUTCOME.serious, action: 'E' };
      }
      if (e.reason === 'limit' || e.reason === 'node-unreachable') {
        return { eventId: EVENT_IDS.userAuthentication, eventType: EVENT_TYPES.login, outcome: OUTCOME.minor, action: 'E' };
      }
      return { eventId: EVENT_IDS.securityAlert, eventType: EVENT_TYPES.accessControlDecision, outcome: OUTCOME.minor, action: 'E' };
  }
}

/**
 * Escape for XML text and attribute values. Characters XML 1.0 cannot carry at all (C0 controls
 * other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become U+FFFD: an AE title arrives from the
 * network and must not make the audit record unparsable.
 */
export function escapeXml(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

function attrs(a: Record<string, string | number | boolean | null | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
}

function coded(tag: string, c: Code): string {
  return `<${tag}${attrs({ 'csd-code': c.code, codeSystemName: c.system, originalText: c.text })}/>`;
}

/** `ip:port`, `[v6]:port` or a bare host → host part (what NetworkAccessPointID wants). */
export function hostOf(peer: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (v6?.[1]) return v6[1];
  const colons = peer.split(':').length - 1;
  if (colons === 1) return peer.slice(0, peer.lastIndexOf(':'));
  return peer; // bare host or bare IPv6
}

/** NetworkAccessPointTypeCode: 2 = IP address, 1 = machine name. */
function napType(host: string): string {
  return /^[\d.]+$/.test(host) || host.includes(':') ? '2' : '1';
}

interface Participant {
  userId: string;
  altUserId?: string | null;
  userName?: string | null;
  requestor: boolean;
  role?: Code;
  nap?: string | null;
}

function participant(p: Participant): string {
  const a = attrs({
    UserID: p.userId,
    AlternativeUserID: p.altUserId,
    UserName: p.userName,
    UserIsRequestor: p.requestor ? 'true' : 'false',
    NetworkAccessPointID: p.nap,
    NetworkAccessPointTypeCode: p.nap ? napType(p.nap) : null,
  });
  return p.role ? `<ActiveParticipant${a}>${coded('RoleIDCode', p.role)}</ActiveParticipant>` : `<ActiveParticipant${a}/>`;
}

/** Counts and reason as one line of text; AE titles and numbers only, never data set content. */
function outcomeDescription(e: AuditEvent): string {
  const parts: string[] = [e.event];
  if (e.reason) parts.push(`reason=${e.reason}`);
  if (e.listener) parts.push(`listener=${e.listener}`);
  if (e.associationId) parts.push(`association=${e.associationId}`);
  if (e.dimse) for (const [k, v] of Object.entries(e.dimse)) parts.push(`${k}=${v}`);
  if (e.bytesToNode !== undefined) parts.push(`bytesToNode=${e.bytesToNode}`);
  if (e.bytesToCaller !== undefined) parts.push(`bytesToCaller=${e.bytesToCaller}`);
  if (e.durationMs !== undefined) parts.push(`durationMs=${e.durationMs}`);
  return parts.join('; ');
}

function participants(e: AuditEvent, opts: AuditXmlOptions): string[] {
  const gatewayNap = opts.hostName ?? null;
  const gateway = (requestor: boolean, role?: Code): string =>
    participant({ userId: opts.sourceId, altUserId: opts.processId === undefined ? null : String(opts.processId), requestor, role, nap: gatewayNap });

  if (e.event === 'gateway-started' || e.event === 'gateway-stopped' || e.event === 'config-reload') {
    return [gateway(false, ROLE_APPLICATION)];
  }
  const out: string[] = [];
  // The remote side: the caller (requestor). Known by its calling AE, else only by its address.
  const peerHost = e.peer ? hostOf(e.peer) : null;
  out.push(
    participant({
      userId: e.callingAe ?? peerHost ?? 'unknown',
      userName: e.tlsSubject,
      requestor: true,
      role: ROLE_SOURCE,
      nap: peerHost,
    }),
  );
  // The destination: the AE the caller addressed, reached through the gateway. Its address is the
  // gateway's unless the runtime supplied the node's (detail.nodeAddress).
  const nodeAddress = typeof e.detail?.['nodeAddress'] === 'string' ? hostOf(e.detail['nodeAddress']) : null;
  if (e.calledAe || e.node) {
    out.push(
      participant({
        userId: e.calledAe ?? e.node ?? opts.sourceId,
        altUserId: e.node && e.node !== e.calledAe ? e.node : null,
        requestor: false,
        role: ROLE_DESTINATION,
        nap: nodeAddress ?? gatewayNap,
      }),
    );
  } else {
    // Nothing addressed yet (TLS failure before any PDU): the gateway itself was the target.
    out.push(gateway(false, ROLE_DESTINATION));
  }
  return out;
}

/** The audit message for one event, as a complete XML document (UTF-8). */
export function auditXml(e: AuditEvent, opts: AuditXmlOptions): string {
  const c = classify(e);
  const objects: string[] = [];
  if (e.node) {
    // The configured node the association was routed to (ID type 110182 Node ID, type 2 system).
    objects.push(
      `<ParticipantObjectIdentification${attrs({ ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '4', ParticipantObjectID: e.node })}>${coded('ParticipantObjectIDTypeCode', NODE_ID)}</ParticipantObjectIdentification>`,
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<AuditMessage>' +
    `<EventIdentification${attrs({ EventActionCode: c.action, EventDateTime: e.time, EventOutcomeIndicator: c.outcome })}>` +
    coded('EventID', c.eventId) +
    coded('EventTypeCode', c.eventType) +
    `<EventOutcomeDescription>${escapeXml(outcomeDescription(e))}</EventOutcomeDescription>` +
    '</EventIdentification>' +
    participants(e, opts).join('') +
    `<AuditSourceIdentification${attrs({ AuditSourceID: opts.sourceId, AuditEnterpriseSiteID: opts.enterpriseSiteId })}>` +
    // RFC 3881 source type 4: application server process (the gateway relays at the application layer).
    `<AuditSourceTypeCode${attrs({ 'csd-code': '4', codeSystemName: 'RFC-3881', originalText: 'Application Server' })}/>` +
    '</AuditSourceIdentification>' +
    objects.join('') +
    '</AuditMessage>'
  );
}
