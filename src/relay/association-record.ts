// The bookkeeping of one association, apart from its protocol logic: bytes each way, when it was
// established, and what it reports at the end to metrics, the audit trail and the registry's list
// of recent rejections. Every way an association ends goes through ended(), exactly once.
import type { ListenerConfig } from '../config/types.ts';
import type { GatewayMetrics, RejectionReason } from '../obs/metrics.ts';
import type { Logger } from '../obs/log.ts';
import { auditEvent, type AuditEvent, type AuditEventName, type AuditSink } from '../audit/events.ts';
import type { AssociationRegistry } from './registry.ts';
import type { Side } from './leg.ts';

export type Outcome = 'released' | 'aborted' | 'rejected' | 'failed';

/** Who the association is about, as far as known when an event is recorded. */
export interface AssociationFacts {
  peer: string;
  callingAe: string | null;
  calledAe: string | null;
  node: string | null;
  tlsSubject: string | null;
}

export interface RecordDeps {
  listener: ListenerConfig;
  metrics: GatewayMetrics;
  audit: AuditSink;
  registry: AssociationRegistry;
  log: Logger;
}

export class AssociationRecord {
  readonly startedAt = new Date();
  establishedAt = 0;
  bytesToNode = 0;
  bytesToCaller = 0;
  // Labelled children resolved once: countBytes() runs for every relayed chunk (the hot path).
  private readonly toNode: { inc(n: number): void };
  private readonly toCaller: { inc(n: number): void };

  constructor(
    private readonly deps: RecordDeps,
    private readonly id: string,
    private readonly facts: () => AssociationFacts,
    private readonly dimse: () => Record<string, number>,
  ) {
    this.toNode = deps.metrics.bytesTotal.labels({ direction: 'to-node' });
    this.toCaller = deps.metrics.bytesTotal.labels({ direction: 'to-caller' });
    deps.metrics.associationsActive.inc({ listener: deps.listener.name });
  }

  countBytes(side: Side, n: number): void {
    if (side === 'node') {
      this.bytesToNode += n;
      this.toNode.inc(n);
    } else {
      this.bytesToCaller += n;
      this.toCaller.inc(n);
    }
  }

  /** One audit line with the contract's fields filled from what is known now. */
  audit(event: AuditEventName, outcome: AuditEvent['outcome'], reason: string | null, extra: Partial<AuditEvent> = {}): void {
    const f = this.facts();
    this.deps.audit.record(auditEvent({ event, outcome, associationId: this.id, listener: this.deps.listener.name, ...f, reason, ...extra }));
  }

  accepted(): void {
    this.establishedAt = Date.now();
    this.deps.metrics.associationsTotal.inc({ listener: this.deps.listener.name, outcome: 'accepted' });
    this.audit('association-accepted', 'success', null);
  }

  ended(outcome: Outcome, reason: string | null, rejectReason?: RejectionReason | 'node-rejected', detail?: Record<string, unknown>): void {
    const { metrics, listener, registry, log } = this.deps;
    metrics.associationsActive.dec({ listener: listener.name });
    if (outcome === 'rejected') {
      metrics.associationsTotal.inc({ listener: listener.name, outcome: 'rejected' });
      if (rejectReason && rejectReason !== 'node-rejected') metrics.associationRejectionsTotal.inc({ reason: rejectReason });
      const f = this.facts();
      registry.recordRejection({
        time: new Date().toISOString(),
        listener: listener.name,
        peerAddress: f.peer,
        callingAe: f.callingAe,
        calledAe: f.calledAe,
        reason: rejectReason ?? 'rejected',
        message: reason ?? '',
      });
      this.audit('association-rejected', 'failure', rejectReason ? `${rejectReason}: ${reason}` : reason);
      return;
    }
    if (outcome === 'failed') {
      metrics.associationsTotal.inc({ listener: listener.name, outcome: 'failed' });
      this.audit('association-aborted', 'failure', reason, { detail });
      return;
    }
    const durationMs = Date.now() - (this.establishedAt || this.startedAt.getTime());
    const node = this.facts().node;
    if (node) metrics.associationDurationSeconds.observe({ node }, durationMs / 1000);
    const dimse = { ...this.dimse() };
    this.audit(outcome === 'released' ? 'association-released' : 'association-aborted', outcome === 'released' ? 'success' : 'failure', reason, {
      dimse,
      bytesToNode: this.bytesToNode,
      bytesToCaller: this.bytesToCaller,
      durationMs,
      detail,
    });
    log.info({ outcome, bytesToNode: this.bytesToNode, bytesToCaller: this.bytesToCaller, dimse, durationMs }, `association ${outcome}`);
  }
}
