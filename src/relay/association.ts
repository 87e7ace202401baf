// One relayed association: the caller's connection, policy decision, the node connection, and the
// PDU relay until release or abort (PS3.8 9.2, two state machines back to back; states.ts holds
// the table). Every way out ends in finish(), which does the accounting exactly once.
import { randomUUID } from 'node:crypto';
import type { GatewayConfig, ListenerConfig, NodeConfig } from '../config/types.ts';
import type { GatewayMetrics, RejectionReason } from '../obs/metrics.ts';
import type { Logger } from '../obs/log.ts';
import type { AuditSink } from '../audit/events.ts';
import type { AssociationInfo } from '../admin/types.ts';
import type { PeerIdentity } from '../policy/identity.ts';
import { decideAssociation } from '../policy/decide.ts';
import { allowedServices, filterPresentationContexts } from '../policy/rules.ts';
import { decodePdu, encodePdu } from '../ul/codec.ts';
import { describeAbort, describeReject } from '../ul/codes.ts';
import { ABORT_REASON_FOR, type AAssociateAc, type AAssociateRq, type DecodeError } from '../ul/types.ts';
import { APPLICATION_CONTEXT } from '../dimse/sop-classes.ts';
import { Leg, type Side } from './leg.ts';
import { PDataPump, type CommandAction } from './pump.ts';
import { accepts, type RelayState } from './states.ts';
import { acceptedContexts, buildCallerAc, buildNodeRq, type AcceptedContext } from './negotiation.ts';
import { RelayedCommands } from './dimse-hooks.ts';
import type { PendingMoves } from './pending-moves.ts';
import type { CommandSet } from '../dimse/command-set.ts';
import { LocalService } from './local-service.ts';
import { SubOperationRelay } from './suboperations.ts';
import { GetBridge } from './get-bridge.ts';
import type { LocalHandler, LocalHooks } from './local-handler.ts';
import { VERIFICATION } from '../dimse/sop-classes.ts';
import type { AssociationRegistry, TrackedAssociation } from './registry.ts';
import { AssociationRecord, type AssociationFacts, type Outcome } from './association-record.ts';
import type { GatewaySocket } from './transport.ts';
import { NodeConnectError, peerOf } from './transport.ts';

/** A-ASSOCIATE PDUs may be large (many contexts, identity tokens) but not unbounded: DCMTK's cap. */
export const MAX_CONTROL_PDU_LENGTH = 1024 * 1024;

export interface AssociationDeps {
  config: GatewayConfig; // the snapshot this association keeps for its whole life
  listener: ListenerConfig;
  metrics: GatewayMetrics;
  audit: AuditSink;
  log: Logger;
  registry: AssociationRegistry;
  pendingMoves: PendingMoves;
  connectNode: (node: NodeConfig) => Promise<GatewaySocket>;
  tlsPeer: PeerIdentity | null;
  resolvedHosts?: ReadonlyMap<string, readonly string[]>;
  onNodeReachability?: (node: string, ok: boolean, error?: string) => void;
}

export class Association implements TrackedAssociation {
  readonly id = randomUUID().slice(0, 8);
  state: RelayState = 'Sta2';
  private readonly caller: Leg;
  private node: Leg | null = null;
  private nodeConfig: NodeConfig | null = null;
  private callerRq: AAssociateRq | null = null;
  private contexts = new Map<number, AcceptedContext>();
  private callerMaxPdu = 0; // what the caller can receive (its RQ 0x51)
  private nodeMaxPdu = 0; // what the node can receive (its AC 0x51)
  private localDimse: Record<string, number> = {};
  private commands: RelayedCommands | null = null;
  private artim: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastActivity = Date.now();
  private finished = false;
  private closeResolve!: () => void;
  readonly closed = new Promise<void>((r) => (this.closeResolve = r));
  private readonly peer: { address: string; text: string };
  private readonly log: Logger;
  private local: LocalHandler | null = null;
  private releaseRequestedBy: Side | null = null;
  private releaseCollision = false;
  private releaseAnsweredBy: Side | null = null; // in a collision, the side whose RP came first
  private refusedByPolicy: number[] = [];
  private bridge: GetBridge | null = null;
  private bridgePlan: ReturnType<typeof GetBridge.plan> = null;

  constructor(
    private readonly deps: AssociationDeps,
    socket: GatewaySocket,
  ) {
    this.peer = peerOf(socket);
    this.log = deps.log.child({ assoc: this.id, listener: deps.listener.name, peer: this.peer.text });
    this.record = new AssociationRecord({ ...deps, log: this.log }, this.id, () => this.facts(), () => this.dimse);
    const pump = new PDataPump(this.pumpHooks('caller'));
    this.caller = new Leg('caller', socket, pump, this.legEvents(), MAX_CONTROL_PDU_LENGTH);
    this.callerPump = pump;
    deps.registry.add(this);
    this.startArtim('no A-ASSOCIATE-RQ');
  }
  private readonly callerPump: PDataPump;
  private readonly record: AssociationRecord;
  private nodePump: PDataPump | null = null;

  /** DIMSE requests seen, by service. */
  get dimse(): Record<string, number> {
    return this.commands?.counts ?? this.localDimse;
  }

  get nodeName(): string | null {
    return this.nodeConfig?.name ?? null;
  }

  info(): AssociationInfo {
    return {
      id: this.id,
      listener: this.deps.listener.name,
      peerAddress: this.peer.text,
      callingAe: this.callerRq?.callingAeTitle ?? '',
      calledAe: this.callerRq?.calledAeTitle ?? '',
      node: this.nodeConfig?.name ?? null,
      tlsPeerSubject: this.deps.tlsPeer?.subject ?? null,
      started: this.record.startedAt.toISOString(),
      bytesToNode: this.record.bytesToNode,
      bytesToCaller: this.record.bytesToCaller,
      dimse: { ...this.dimse },
      state: this.state,
    };
  }

  // ---- wiring -------------------------------------------------------------------------------

  private legEvents() {
    return {
      onBytesWritten: (side: Side, n: number) => this.record.countBytes(side, n),
      onActivity: () => {
        this.lastActivity = Date.now();
      },
      onClosed: (side: Side, _hadError: boolean, err: Error | null) => this.onLegClosed(side, err),
    };
  }

  private pumpHooks(side: Side) {
    return {
      pdataAllowed: () => accepts(this.state, side, 'P-DATA-TF'),
      contextAccepted: (pcId: number) => this.contexts.has(pcId),
      onCommand: (pcId: number, bytes: Buffer, command: CommandSet): CommandAction => this.onCommand(side, pcId, bytes, command),
      onControlPdu: (type: number, raw: Buffer) => this.onControlPdu(side, type, raw),
      onProtocolError: (e: DecodeError) => this.protocolError(side, e),
      send: (buf: Buffer) => {
        if (side === 'caller' && this.local) this.local.forwardData?.(buf);
        else if (side === 'node' && this.bridge) this.bridge.toCaller(buf);
        else this.legOf(other(side))?.send(buf);
      },
      replyToSource: (buf: Buffer) => void this.legOf(side)?.send(buf),
      destinationMaxPdu: () => (side === 'caller' ? (this.local?.destinationMaxPdu?.() ?? this.nodeMaxPdu) : this.callerMaxPdu),
      outboundPcId: (pcId: number) => (side === 'caller' && this.local?.outboundPcId ? this.local.outboundPcId(pcId) : pcId),
      onMessageEnd: () => {
        if (side === 'caller') this.local?.onMessageEnd?.();
      },
    };
  }

  private legOf(side: Side): Leg | null {
    return side === 'caller' ? this.caller : this.node;
  }

  // ---- control PDUs -------------------------------------------------------------------------

  private onControlPdu(side: Side, type: number, raw: Buffer): void {
    const decoded = decodePdu(raw);
    if (!decoded.ok) return this.protocolError(side, decoded.error);
    const pdu = decoded.value;
    if (pdu.type === 'A-ABORT') return this.onAbort(side, pdu.source, pdu.reason);
    if (this.state === 'local' && side === 'caller' && this.local) return this.local.onControlPdu(pdu);
    if (!accepts(this.state, side, pdu.type)) {
      if (this.state === 'Sta13') return; // draining after RJ/RP/ABORT: ignore stragglers
      return this.protocolError(side, { kind: 'unexpected-pdu', message: `${pdu.type} in state ${this.state}` });
    }
    switch (pdu.type) {
      case 'A-ASSOCIATE-RQ':
        // Async (it connects to the node): a bug in it must end this association, not the process.
        return void this.onAssociateRq(pdu).catch((err: unknown) => {
          this.log.error({ err }, 'internal error while setting up the association; aborting it');
          this.abort('internal error');
        });
      case 'A-ASSOCIATE-AC':
        return this.onNodeAc(pdu);
      case 'A-ASSOCIATE-RJ':
        return this.onNodeRj(pdu, raw);
      case 'A-RELEASE-RQ':
        return this.onReleaseRq(side, raw);
      case 'A-RELEASE-RP':
        return this.onReleaseRp(side, raw);
      default:
        return this.protocolError(side, { kind: 'unexpected-pdu', message: `${pdu.type} in state ${this.state}` });
    }
  }

  private async onAssociateRq(rq: AAssociateRq): Promise<void> {
    this.stopArtim();
    this.callerRq = rq;
    this.log.info({ calledAe: rq.calledAeTitle, callingAe: rq.callingAeTitle, contexts: rq.presentationContexts.length }, 'A-ASSOCIATE-RQ');
    // PS3.8 7.1.1.2 / Table 9-21: protocol version and application context are ACSE checks.
    if ((rq.protocolVersion & 1) === 0) return this.reject(1, 2, 2, 'not-allowed', `protocol version ${rq.protocolVersion} not supported`);
    if (rq.applicationContextName !== APPLICATION_CONTEXT) {
      return this.reject(1, 1, 2, 'not-allowed', `application context ${rq.applicationContextName} not supported`);
    }
    if (tooSmall(rq.userInformation.maxLength)) {
      return this.protocolError('caller', { kind: 'invalid-pdu-parameter-value', message: `Maximum Length ${rq.userInformation.maxLength} is too small to carry any PDV` });
    }
    const { config, registry } = this.deps;
    const decision = decideAssociation(
      {
        listener: this.deps.listener,
        peerAddress: this.peer.address,
        tlsPeer: this.deps.tlsPeer,
        calledAeTitle: rq.calledAeTitle,
        callingAeTitle: rq.callingAeTitle,
        activeTotal: registry.size - 1,
        activeForNode: (n) => registry.countForNode(n),
        resolvedHosts: this.deps.resolvedHosts,
      },
      config,
    );
    if (decision.kind === 'reject') {
      return this.reject(decision.result, decision.source, decision.reason, decision.metricReason, decision.message);
    }
    if (decision.kind === 'accept-gateway') {
      this.state = 'local';
      const caller = decision.callingNode;
      const storing = rq.presentationContexts.some((pc) => pc.abstractSyntax !== VERIFICATION);
      // Both flags make the node call back with C-STORE sub-operations: rewritten C-MOVEs, and the
      // C-MOVEs the gateway sends it for bridged C-GETs.
      this.local =
        (caller.rewriteMoveDestination || caller.bridgeGetToMove) && storing
          ? new SubOperationRelay(this.localHooks(), rq, caller, this.deps.pendingMoves)
          : new LocalService(this.localHooks(), rq, config.aeTitle);
      await this.local.accept();
      return;
    }
    const node = decision.node;
    this.nodeConfig = node;
    this.commands = new RelayedCommands({
      config,
      node,
      callingAe: rq.callingAeTitle,
      associationId: this.id,
      metrics: this.deps.metrics,
      log: this.log,
      pendingMoves: this.deps.pendingMoves,
      callerMaxPdu: () => this.callerMaxPdu,
      transferSyntaxOf: (pcId: number) => this.contexts.get(pcId)?.transferSyntax ?? '',
      onRequestRefused: (what: string) =>
        this.record.audit('dimse-request-refused', 'failure', what),
      onMoveDestinationRejected: (destination: string, comment: string) =>
        this.record.audit('move-destination-rejected', 'failure', comment, { detail: { moveDestination: destination } }),
    });
    const services = allowedServices(config, decision.callingNode.name, node.name) ?? 'all';
    const { proposed, rejected } = filterPresentationContexts(rq.presentationContexts, services, rq.userInformation.roleSelections);
    this.refusedByPolicy = rejected;
    let toNode = proposed;
    if (node.bridgeGetToMove) {
      // The caller's C-GET is served with C-MOVE: the gateway answers the storage contexts itself.
      this.bridgePlan = GetBridge.plan(rq, proposed);
      if (this.bridgePlan) {
        toNode = this.bridgePlan.plan.proposed;
        this.bridge = new GetBridge(decision.callingNode.name, this.caller, () => this.callerMaxPdu, this.log);
        this.commands.bridge = this.bridge;
      }
    }
    if (toNode.length === 0) {
      // Nothing left to ask the node for: answer with every context refused, as the node would.
      this.state = 'local';
      this.local = new LocalService(this.localHooks(), rq, node.name, () => ({ result: 3 }));
      this.local.accept();
      return;
    }
    this.state = 'connecting';
    let socket: GatewaySocket;
    try {
      socket = await this.connectTracked(node);
    } catch (err) {
      if (this.finished) return;
      return this.reject(2, 3, 1, 'node-unreachable', `node ${node.name} unreachable: ${(err as Error).message}`);
    }
    if (this.finished || this.state !== 'connecting') {
      socket.destroy();
      return;
    }
    const pump = new PDataPump(this.pumpHooks('node'));
    this.nodePump = pump;
    this.node = new Leg('node', socket, pump, this.legEvents(), MAX_CONTROL_PDU_LENGTH);
    this.node.peer = this.caller;
    this.caller.peer = this.node;
    const nodeRq = buildNodeRq(rq, node, toNode, config.limits.maxPduLength);
    if (this.bridgePlan) nodeRq.userInformation.roleSelections = this.bridgePlan.plan.roleSelections;
    this.nodeRq = nodeRq;
    this.state = 'Sta5';
    this.node.send(encodePdu(nodeRq));
    this.startArtim('no A-ASSOCIATE-AC/RJ from the node');
  }
  private nodeRq: AAssociateRq | null = null;

  private onNodeAc(nodeAc: AAssociateAc): void {
    this.stopArtim();
    const rq = this.callerRq!;
    if (tooSmall(nodeAc.userInformation.maxLength)) {
      return this.protocolError('node', { kind: 'invalid-pdu-parameter-value', message: `Maximum Length ${nodeAc.userInformation.maxLength} is too small to carry any PDV` });
    }
    const cap = this.deps.config.limits.maxPduLength;
    let ac = buildCallerAc(rq, nodeAc, this.refusedByPolicy, cap);
    if (this.bridge && this.bridgePlan) ac = this.bridge.completeAc(ac, this.bridgePlan.gets, this.bridgePlan.storage);
    // Keyed by the caller's ids: the same ids the node negotiated, plus the bridge's storage contexts.
    this.contexts = acceptedContexts(rq, ac);
    this.callerMaxPdu = rq.userInformation.maxLength ?? 0;
    this.nodeMaxPdu = nodeAc.userInformation.maxLength ?? 0;
    // What each side was told it may send is what we accept from it (PS3.8 D.1).
    this.caller.framer.setMaxPDataLength(ac.userInformation.maxLength ?? 0);
    this.node!.framer.setMaxPDataLength(this.nodeRq!.userInformation.maxLength ?? 0);
    this.state = 'Sta6';
    this.caller.send(encodePdu(ac));
    this.accepted();
    this.log.info({ node: this.nodeConfig!.name, accepted: this.contexts.size, proposed: rq.presentationContexts.length }, 'association established');
  }

  private onNodeRj(rj: { result: number; source: number; reason: number }, raw: Buffer): void {
    this.stopArtim();
    // The node's own RJ is relayed unchanged (CONTRACT).
    this.caller.send(raw);
    const text = describeReject(rj.result, rj.source, rj.reason);
    this.log.info({ node: this.nodeConfig?.name, result: rj.result, source: rj.source, reason: rj.reason }, `node rejected: ${text}`);
    this.node?.end();
    this.enterSta13();
    this.finish('rejected', `node rejected: ${text}`, 'node-rejected');
  }

  private onReleaseRq(side: Side, raw: Buffer): void {
    if (this.state === 'releasing') {
      if (this.releaseRequestedBy === side || this.releaseCollision) {
        return this.protocolError(side, { kind: 'unexpected-pdu', message: 'second A-RELEASE-RQ' });
      }
      // Both sides asked (PS3.8 release collision, Sta9-Sta12): relay it; each side answers in turn.
      this.releaseCollision = true;
    } else {
      this.releaseRequestedBy = side;
      this.state = 'releasing';
    }
    this.legOf(other(side))?.send(raw);
    this.startArtim('no A-RELEASE-RP');
  }

  private onReleaseRp(side: Side, raw: Buffer): void {
    if (this.releaseCollision) {
      if (this.releaseAnsweredBy === side) {
        return this.protocolError(side, { kind: 'unexpected-pdu', message: 'second A-RELEASE-RP' });
      }
      if (this.releaseAnsweredBy === null) {
        // First RP of a collision: the other side still owes its own RP, so nothing ends yet.
        this.releaseAnsweredBy = side;
        this.legOf(other(side))?.send(raw);
        this.startArtim('no A-RELEASE-RP');
        return;
      }
    } else if (this.releaseRequestedBy === side) {
      return this.protocolError(side, { kind: 'unexpected-pdu', message: 'A-RELEASE-RP from the side that requested release' });
    }
    this.stopArtim();
    const requester = other(side);
    this.legOf(requester)?.send(raw);
    // The RP sender waits for the requester to close (PS3.8 AR-3/AR-4): we close the RP sender's
    // leg ourselves, and let the requester close its own, under ARTIM.
    this.legOf(side)?.end();
    this.enterSta13();
    this.finish('released', null);
  }

  private onAbort(side: Side, source: number, reason: number): void {
    const text = describeAbort(source, reason);
    this.log.info({ from: side, source, reason }, `A-ABORT from ${side}: ${text}`);
    const otherLeg = this.legOf(other(side));
    if (otherLeg && this.state !== 'Sta13') {
      otherLeg.send(encodePdu({ type: 'A-ABORT', source, reason }));
      otherLeg.end();
    }
    this.legOf(side)?.destroy();
    if (this.state === 'Sta2' || this.state === 'connecting' || this.state === 'Sta5') {
      this.enterSta13();
      return this.finish('failed', `A-ABORT from ${side} before establishment: ${text}`);
    }
    this.enterSta13();
    this.finish('aborted', `A-ABORT from ${side}: ${text}`);
  }

  // ---- DIMSE ---------------------------------------------------------------------------------

  private onCommand(side: Side, pcId: number, bytes: Buffer, command: CommandSet): CommandAction {
    if (this.local) return this.local.onCommand(pcId, command, bytes);
    const r = this.commands!.inspect(side, pcId, bytes, command);
    if (r.kind === 'answer') {
      for (const pdu of r.reply) this.legOf(side)?.send(pdu);
      return { kind: 'swallow', dataSetFollows: r.dataSetFollows };
    }
    return r;
  }

  // ---- the gateway's own AE ------------------------------------------------------------------

  private localHooks(): LocalHooks {
    return {
      log: this.log,
      send: (buf: Buffer) => void this.caller.send(buf),
      setContexts: (c: Map<number, AcceptedContext>, callerMax: number, ownMax: number) => {
        this.contexts = c;
        this.callerMaxPdu = callerMax;
        this.caller.framer.setMaxPDataLength(ownMax);
      },
      callerMaxPdu: () => this.callerMaxPdu,
      accepted: () => this.accepted(),
      reject: (result, source, reason, metricReason, message) => this.reject(result, source, reason, metricReason, message),
      released: () => {
        this.enterSta13();
        this.finish('released', null);
      },
      protocolError: (e: DecodeError) => this.protocolError('caller', e),
      abort: (reason: string) => this.abort(reason),
      countRequest: (command: string, node: string) => {
        this.localDimse[command] = (this.localDimse[command] ?? 0) + 1;
        this.deps.metrics.dimseRequestsTotal.inc({ command, node });
      },
      connectNode: (node) => this.connectTracked(node),
      legEvents: (onClosed) => ({ ...this.legEvents(), onClosed: (_side, _hadError, err) => onClosed(err) }),
      callerLeg: this.caller,
      artimMs: this.deps.config.limits.artimMs,
    };
  }

  /** Every connection to a node (relay, C-MOVE destinations) counts towards its reachability. */
  private async connectTracked(node: NodeConfig): Promise<GatewaySocket> {
    try {
      const socket = await this.deps.connectNode(node);
      this.deps.onNodeReachability?.(node.name, true);
      return socket;
    } catch (err) {
      const e = err instanceof NodeConnectError ? err : new NodeConnectError(String(err), 'other');
      this.deps.metrics.nodeConnectFailuresTotal.inc({ node: node.name });
      this.deps.onNodeReachability?.(node.name, false, e.message);
      throw e;
    }
  }

  // ---- failures and endings ------------------------------------------------------------------

  private reject(result: number, source: number, reason: number, metricReason: RejectionReason | 'node-rejected', message: string): void {
    this.caller.send(encodePdu({ type: 'A-ASSOCIATE-RJ', result, source, reason }));
    this.caller.end(); // FIN after the RJ; the caller closes too (PS3.8 9.1.4), ARTIM covers one that does not
    this.log.warn({ result, source, reason, why: metricReason }, `A-ASSOCIATE-RJ: ${message}`);
    this.enterSta13();
    this.finish('rejected', message, metricReason);
  }

  /** Malformed or unexpected PDU from one side: A-ABORT to it (provider, the matching reason) and
   *  to the other side (provider, reason 0), close both (dicom-facts 5.12). */
  private protocolError(side: Side, e: DecodeError): void {
    if (this.finished && this.state === 'Sta13') return;
    this.callerPump.kill();
    this.nodePump?.kill();
    // A handler that threw is our bug, not the peer's: abort with "reason not specified" and say so.
    const ourBug = (e as { handlerError?: unknown }).handlerError;
    const reason = ourBug ? 0 : ABORT_REASON_FOR[e.kind];
    if (ourBug) this.log.error({ err: ourBug }, `internal error while relaying: ${e.message}; aborting this association`);
    else this.log.warn({ from: side, kind: e.kind }, `protocol error from ${side}: ${e.message}; sending A-ABORT`);
    this.deps.metrics.protocolErrorsTotal.inc({ listener: this.deps.listener.name, kind: e.kind });
    const offender = this.legOf(side);
    offender?.send(encodePdu({ type: 'A-ABORT', source: 2, reason }));
    offender?.end();
    offender?.stopReading();
    const otherLeg = this.legOf(other(side));
    if (otherLeg) {
      otherLeg.send(encodePdu({ type: 'A-ABORT', source: 2, reason: 0 }));
      otherLeg.end();
      otherLeg.stopReading();
    }
    const before = this.state === 'Sta2' || this.state === 'connecting' || this.state === 'Sta5';
    this.record.audit('protocol-error', 'failure', `${e.kind} from ${side}: ${e.message}`);
    this.enterSta13();
    this.finish(before ? 'failed' : 'aborted', `protocol error from ${side}: ${e.message}`, undefined, { protocolError: e.kind, from: side });
  }

  /** Transport closed. Before RP/RJ/ABORT this is an A-P-ABORT: tell the other side. */
  private onLegClosed(side: Side, err: Error | null): void {
    if (this.state !== 'Sta13' && !this.finished) {
      const why = err ? err.message : 'connection closed';
      this.log.info({ from: side }, `${side} connection lost in ${this.state}: ${why}`);
      const otherLeg = this.legOf(other(side));
      if (side === 'node' && this.state === 'Sta5') {
        // The node closed without answering the RQ: for the caller that is a node that did not
        // answer, a transient reject like a failed connect or ARTIM (CONTRACT 2/3/1), not an A-ABORT.
        this.reject(2, 3, 1, 'node-unreachable', `node ${this.nodeConfig?.name} closed the connection without answering the A-ASSOCIATE-RQ: ${why}`);
      } else {
        if (otherLeg && this.state !== 'Sta2') {
          otherLeg.send(encodePdu({ type: 'A-ABORT', source: 2, reason: 0 }));
          otherLeg.end();
        }
        const before = this.state === 'Sta2' || this.state === 'connecting' || this.state === 'Sta5';
        this.enterSta13();
        this.finish(before ? 'failed' : 'aborted', `${side} connection lost: ${why}`);
      }
    }
    const nodeDone = !this.node || this.node.closedFlag;
    if (this.caller.closedFlag && nodeDone) {
      this.stopArtim();
      this.stopIdle();
      this.closeResolve();
    } else if (this.state === 'Sta13' && this.legOf(other(side)) && !this.legOf(other(side))!.closedFlag) {
      // The other side should close soon; do not leave it hanging beyond ARTIM.
      this.startArtim('peer did not close after the association ended');
    }
  }

  /** Ends the association with A-ABORT both ways (drain deadline, idle timeout, shutdown). */
  abort(reason: string): void {
    if (this.state === 'Sta13') {
      this.caller.destroy();
      this.node?.destroy();
      return;
    }
    this.log.warn(`aborting association: ${reason}`);
    for (const leg of [this.caller, this.node]) {
      if (!leg) continue;
      leg.send(encodePdu({ type: 'A-ABORT', source: 2, reason: 0 }));
      leg.end();
      leg.stopReading();
    }
    const before = this.state === 'Sta2' || this.state === 'connecting' || this.state === 'Sta5';
    this.enterSta13();
    this.finish(before ? 'failed' : 'aborted', reason);
  }

  private enterSta13(): void {
    this.state = 'Sta13';
    this.stopIdle();
    this.startArtim('peer did not close after the association ended');
  }

  private startArtim(why: string): void {
    this.stopArtim();
    this.artim = setTimeout(() => this.onArtimExpired(why), this.deps.config.limits.artimMs);
    this.artim.unref?.();
  }

  private stopArtim(): void {
    if (this.artim) clearTimeout(this.artim);
    this.artim = null;
  }

  private onArtimExpired(why: string): void {
    this.artim = null;
    if (this.state === 'Sta13') {
      this.caller.destroy();
      this.node?.destroy();
      return;
    }
    if (this.state === 'Sta5') {
      // The node accepted TCP but never answered: the caller gets a transient reject.
      this.node?.send(encodePdu({ type: 'A-ABORT', source: 2, reason: 0 }));
      this.node?.end();
      return this.reject(2, 3, 1, 'node-unreachable', `node ${this.nodeConfig?.name} did not answer the A-ASSOCIATE-RQ within ${this.deps.config.limits.artimMs} ms`);
    }
    this.abort(`ARTIM expired: ${why}`);
  }

  private startIdle(): void {
    const idleMs = this.deps.config.limits.idleMs;
    if (idleMs <= 0) return;
    const check = () => {
      const quiet = Date.now() - this.lastActivity;
      if (quiet >= idleMs) return this.abort(`idle for ${Math.round(quiet / 1000)} s`);
      this.idleTimer = setTimeout(check, idleMs - quiet);
      this.idleTimer.unref?.();
    };
    this.idleTimer = setTimeout(check, idleMs);
    this.idleTimer.unref?.();
  }

  private stopIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private accepted(): void {
    this.startIdle();
    this.record.accepted();
  }

  private facts(): AssociationFacts {
    return {
      peer: this.peer.text,
      callingAe: this.callerRq?.callingAeTitle ?? null,
      calledAe: this.callerRq?.calledAeTitle ?? null,
      node: this.nodeConfig?.name ?? null,
      tlsSubject: this.deps.tlsPeer?.subject ?? null,
    };
  }

  /** Every way out ends here, once: timers, pending moves, the handler's legs, the registry. */
  private finish(outcome: Outcome, reason: string | null, rejectReason?: RejectionReason | 'node-rejected', detail?: Record<string, unknown>): void {
    if (this.finished) return;
    this.finished = true;
    this.stopIdle();
    this.commands?.close();
    this.local?.close?.();
    this.deps.registry.remove(this);
    this.record.ended(outcome, reason, rejectReason, detail);
  }
}

/** A Maximum Length below 64 leaves no room for a command fragment (PS3.8 D.1: 0 means unlimited). */
function tooSmall(maxLength: number | undefined): boolean {
  return maxLength !== undefined && maxLength > 0 && maxLength < 64;
}

function other(side: Side): Side {
  return side === 'caller' ? 'node' : 'caller';
}
