// One audit event of every kind, with the fields the runtime would fill.
import { auditEvent, type AuditEvent, type AuditEventName } from '../../src/audit/events.ts';

export const HOSTILE_AE = `<x&"'>`;
const at = new Date('2026-11-25T10:00:00.000Z');
const assoc = { listener: 'secure', peer: '203.0.113.7:53122', callingAe: 'CLOUD_AI', calledAe: 'PACS', node: 'PACS', tlsSubject: 'CN=cloud-ai' };

export const EVENTS: Record<AuditEventName, AuditEvent> = {
  'gateway-started': auditEvent({ event: 'gateway-started', outcome: 'success' }, at),
  'gateway-stopped': auditEvent({ event: 'gateway-stopped', outcome: 'success' }, at),
  'config-reload': auditEvent({ event: 'config-reload', outcome: 'failure', reason: 'config invalid' }, at),
  'association-accepted': auditEvent({ event: 'association-accepted', outcome: 'success', associationId: 'a-1', ...assoc }, at),
  'association-released': auditEvent(
    { event: 'association-released', outcome: 'success', associationId: 'a-1', dimse: { 'C-FIND': 2 }, bytesToNode: 100, bytesToCaller: 2000, durationMs: 1500, ...assoc },
    at,
  ),
  'association-aborted': auditEvent({ event: 'association-aborted', outcome: 'failure', reason: 'node aborted', associationId: 'a-2', ...assoc }, at),
  'association-rejected': auditEvent(
    { event: 'association-rejected', outcome: 'failure', reason: 'calling-ae-not-recognized', listener: 'lan', peer: '10.9.9.9:40000', callingAe: HOSTILE_AE, calledAe: 'PACS' },
    at,
  ),
  'tls-failure': auditEvent({ event: 'tls-failure', outcome: 'failure', reason: 'certificate verify failed', listener: 'secure', peer: '[2001:db8::1]:4444' }, at),
  'certificate-failure': auditEvent(
    { event: 'certificate-failure', outcome: 'failure', reason: 'certificate does not match node CLOUD_AI', ...assoc, tlsSubject: 'CN=evil' },
    at,
  ),
  'protocol-error': auditEvent({ event: 'protocol-error', outcome: 'failure', reason: 'unrecognized-pdu', ...assoc }, at),
  'move-destination-rejected': auditEvent(
    { event: 'move-destination-rejected', outcome: 'failure', reason: 'no rule allows PACS -> LAPTOP', ...assoc, detail: { moveDestination: 'LAPTOP' } },
    at,
  ),
  'dimse-request-refused': auditEvent(
    { event: 'dimse-request-refused', outcome: 'failure', reason: 'C-MOVE-RQ refused with 0xA900: the identifier is not a valid data set', ...assoc },
    at,
  ),
};
