// C-STORE sub-operations of rewritten C-MOVEs (CONTRACT "C-MOVE across NAT"). The moving node N
// (which knows only the gateway) calls the gateway's AE title; the gateway opens an association to
// every destination its pending moves from N point at, proposing N's own presentation contexts, and
// accepts towards N what every destination accepted. Each C-STORE-RQ is then routed by its Move
// Originator Message ID (the gateway-unique ID of the forwarded C-MOVE-RQ, never the Move
// Originator AE title, which some archives fill with their own), relayed to that destination with
// the caller's original Move Originator AE and Message ID restored, and the destination's
// C-STORE-RSP goes back to N unchanged: N counts what really happened. Data sets stream through.
import type { NodeConfig } from '../config/types.ts';
import type { AAssociateAc, AAssociateRq, DecodeError, Pdu } from '../ul/types.ts';
import { decodePdu, encodePdu } from '../ul/codec.ts';
import { describeReject } from '../ul/codes.ts';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  commandField,
  hasDataSet,
  isResponse,
  messageId,
  messageIdBeingRespondedTo,
  moveOriginatorMessageId,
  serviceName,
  status,
  withString,
  withUint16,
  encodeCommandSet,
  type CommandSet,
} from '../dimse/command-set.ts';
import { cEchoRsp, responseFor } from '../dimse/messages.ts';
import { commandToPData } from '../dimse/fragment.ts';
import { statusClass } from '../dimse/status.ts';
import { VERIFICATION } from '../dimse/sop-classes.ts';
import { Leg } from './leg.ts';
import { PDataPump, type CommandAction } from './pump.ts';
import { acceptedContexts, echoFieldsOf, PC_RESULT, type AcceptedContext } from './negotiation.ts';
import type { LocalHandler, LocalHooks } from './local-handler.ts';
import type { PendingMove, PendingMoves } from './pending-moves.ts';
import type { BridgeStore, BridgeTarget } from './get-bridge.ts';
import { printable } from './dimse-hooks.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../version.ts';

/** PS3.7 Annex C: "Refused: Not authorized" — the sub-operation has no move the gateway knows of. */
export const STATUS_NOT_AUTHORIZED = 0x0124;
/** PS3.4 C.4.2.1.5 style "Refused: Out of Resources - Unable to perform sub-operations". */
export const STATUS_OUT_OF_RESOURCES = 0xa702;

type DestState = 'connecting' | 'awaiting-ac' | 'ready' | 'releasing' | 'closed';

interface Destination {
  node: NodeConfig;
  state: DestState;
  leg: Leg | null;
  pump: PDataPump | null;
  rq: AAssociateRq;
  contexts: Map<number, AcceptedContext>;
  maxPdu: number; // what the destination can receive
  ac: AAssociateAc | null;
  settle: ((ok: boolean, why?: string) => void) | null;
}

export class SubOperationRelay implements LocalHandler {
  private readonly dests = new Map<string, Destination>();
  private readonly bridges = new Set<BridgeTarget>();
  private current: Destination | null = null;
  private currentBridge: BridgeStore | null = null;
  private accepted = new Map<number, AcceptedContext>();
  /** N's Message ID of a relayed C-STORE-RQ -> its move, to count the destination's answer. */
  private readonly inFlight = new Map<number, PendingMove>();
  private established = false;
  private releasing = false;
  private closed = false;

  constructor(
    private readonly h: LocalHooks,
    private readonly rq: AAssociateRq,
    private readonly movingNode: NodeConfig,
    private readonly moves: PendingMoves,
  ) {}

  async accept(): Promise<void> {
    const pending = this.moves.forNode(this.movingNode.name);
    for (const m of pending) {
      if (m.bridge) this.bridges.add(m.bridge);
      if (!m.destination || this.dests.has(m.destination.name)) continue;
      this.dests.set(m.destination.name, this.newDestination(m.destination));
    }
    this.h.log.info(
      { movingNode: this.movingNode.name, pendingMoves: pending.map((m) => m.id), destinations: [...this.dests.keys()], bridgedGets: this.bridges.size },
      'C-MOVE sub-operation association: connecting to the move destinations',
    );
    const results = await Promise.all([...this.dests.values()].map((d) => this.open(d)));
    if (this.closed) return;
    const usable = [...this.dests.values()].filter((d) => d.state === 'ready');
    const bridges = [...this.bridges].filter((b) => b.open);
    if (usable.length === 0 && bridges.length === 0) {
      const why = results.filter((r) => r !== null).join('; ') || 'no pending C-MOVE';
      return this.h.reject(2, 3, 1, 'node-unreachable', `no move destination for ${this.movingNode.name}'s sub-operations: ${why}`);
    }
    // Towards N, a context is accepted when some target (destination association or bridged C-GET
    // caller) takes it, in the transfer syntax most targets chose. Requiring every target would let
    // one caller's narrower choice (a C-GET caller without CT storage) fail another caller's move;
    // a C-STORE whose own target lacks the context in that syntax is refused alone (onCommand).
    const contexts = this.rq.presentationContexts.map((pc) => {
      if (pc.abstractSyntax === VERIFICATION) return { id: pc.id, result: PC_RESULT.acceptance, transferSyntax: pc.transferSyntaxes[0] ?? '1.2.840.10008.1.2' };
      const choices: (string | null)[] = [
        ...usable.map((d) => {
          const a = d.ac!.presentationContexts.find((x) => x.id === pc.id);
          return a && a.result === PC_RESULT.acceptance ? a.transferSyntax : null;
        }),
        ...bridges.map((b) => b.transferSyntaxFor(pc.abstractSyntax, pc.transferSyntaxes)),
      ];
      const taken = choices.filter((c): c is string => c !== null);
      const votes = (ts: string) => taken.filter((c) => c === ts).length;
      const best = [...taken].sort((a, b) => votes(b) - votes(a))[0];
      return best
        ? { id: pc.id, result: PC_RESULT.acceptance, transferSyntax: best }
        : { id: pc.id, result: PC_RESULT.transferSyntaxesNotSupported, transferSyntax: pc.transferSyntaxes[0] ?? '' };
    });
    const ownMax = [...usable.map((d) => d.maxPdu), ...bridges.map((b) => b.receiveMax())].reduce(minLimit, 0);
    const ac: AAssociateAc = {
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      reservedEcho: echoFieldsOf(this.rq),
      applicationContextName: this.rq.applicationContextName,
      presentationContexts: contexts,
      userInformation: {
        maxLength: ownMax,
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: IMPLEMENTATION_VERSION_NAME,
        roleSelections: [],
        otherItems: [],
      },
    };
    this.accepted = acceptedContexts(this.rq, ac);
    this.h.setContexts(this.accepted, this.rq.userInformation.maxLength ?? 0, ownMax);
    this.established = true;
    this.h.send(encodePdu(ac));
    this.h.accepted();
  }

  onControlPdu(pdu: Pdu): void {
    if (pdu.type === 'A-RELEASE-RQ' && this.established && !this.releasing) return this.release();
    this.h.protocolError({ kind: 'unexpected-pdu', message: `${pdu.type} on a sub-operation association` });
  }

  onCommand(pcId: number, cs: CommandSet): CommandAction {
    const field = commandField(cs) ?? 0;
    if (field === COMMAND_FIELD['C-ECHO-RQ']) {
      this.h.countRequest('C-ECHO', this.movingNode.name);
      this.h.send(Buffer.concat(commandToPData(pcId, cEchoRsp({ messageIdBeingRespondedTo: messageId(cs) ?? 0 }), this.h.callerMaxPdu())));
      return { kind: 'swallow', dataSetFollows: false };
    }
    if (field !== COMMAND_FIELD['C-STORE-RQ']) {
      if (isResponse(field)) return { kind: 'swallow', dataSetFollows: hasDataSet(cs) };
      return this.refuse(pcId, cs, 0x0211, `${serviceName(field)} is not accepted on a sub-operation association`);
    }
    const moveId = moveOriginatorMessageId(cs);
    let move: PendingMove | undefined;
    if (moveId !== undefined) {
      move = this.moves.get(moveId);
      if (!move || move.movingNode !== this.movingNode.name) {
        return this.refuse(pcId, cs, STATUS_NOT_AUTHORIZED, `no pending C-MOVE ${moveId} from ${this.movingNode.name} (finished or unknown)`);
      }
    } else {
      const pending = this.moves.forNode(this.movingNode.name);
      if (pending.length !== 1) {
        return this.refuse(
          pcId,
          cs,
          STATUS_NOT_AUTHORIZED,
          `no Move Originator Message ID and ${pending.length} C-MOVEs pending from ${this.movingNode.name}: cannot tell where it goes`,
        );
      }
      move = pending[0]!;
    }
    if (move.bridge) return this.toBridge(pcId, cs, move, move.bridge);
    const dest = move.destination ? this.dests.get(move.destination.name) : undefined;
    if (!dest || dest.state !== 'ready') {
      return this.refuse(pcId, cs, STATUS_OUT_OF_RESOURCES, `move destination ${move.destination?.name ?? '?'} is not connected on this association`);
    }
    if (dest.contexts.get(pcId)?.transferSyntax !== this.accepted.get(pcId)?.transferSyntax) {
      return this.refuse(pcId, cs, STATUS_OUT_OF_RESOURCES, `move destination ${dest.node.name} did not accept context ${pcId} in its transfer syntax`);
    }
    this.h.countRequest('C-STORE', dest.node.name);
    this.inFlight.set(messageId(cs) ?? 0, move);
    this.current = dest;
    this.h.callerLeg.peer = dest.leg; // back-pressure follows the data
    // The destination sees the caller's own Move Originator AE title and Message ID.
    const restored = withUint16(withString(cs, TAG.MoveOriginatorApplicationEntityTitle, move.callerAe), TAG.MoveOriginatorMessageID, move.callerMessageId);
    return { kind: 'forward', bytes: encodeCommandSet(restored) };
  }

  /** A sub-operation of a bridged C-GET: onto the caller's own association, its answer back to N. */
  private toBridge(pcId: number, cs: CommandSet, move: PendingMove, bridge: BridgeTarget): CommandAction {
    const ctx = this.accepted.get(pcId);
    const sopClass = affectedSopClassUid(cs) ?? ctx?.abstractSyntax ?? '';
    const store = bridge.beginStore(cs, sopClass, ctx?.transferSyntax ?? '', (rsp) => this.answerFromBridge(pcId, cs, move, rsp));
    if ('why' in store) return this.refuse(pcId, cs, STATUS_OUT_OF_RESOURCES, store.why);
    this.h.countRequest('C-STORE', bridge.callerNode);
    this.current = null;
    this.currentBridge = store;
    this.h.callerLeg.peer = store.leg; // back-pressure follows the data
    return { kind: 'forward', bytes: store.command };
  }

  private answerFromBridge(pcId: number, rq: CommandSet, move: PendingMove, rsp: CommandSet | null): void {
    if (this.closed) return;
    let bytes: Buffer;
    if (rsp === null) {
      move.relayed.failed++;
      bytes = responseFor(rq, STATUS_OUT_OF_RESOURCES, 'C-GET caller went away')!;
    } else {
      const cls = statusClass(status(rsp) ?? 0xffff);
      if (cls === 'success') move.relayed.completed++;
      else if (cls === 'warning') move.relayed.warning++;
      else move.relayed.failed++;
      bytes = encodeCommandSet(withUint16(rsp, TAG.MessageIDBeingRespondedTo, messageId(rq) ?? 0));
    }
    this.h.send(Buffer.concat(commandToPData(pcId, bytes, this.h.callerMaxPdu())));
  }

  outboundPcId(pcId: number): number {
    return this.currentBridge ? this.currentBridge.pcId : pcId;
  }

  onMessageEnd(): void {
    this.currentBridge?.end();
    this.currentBridge = null;
  }

  forwardData(buf: Buffer): void {
    if (this.currentBridge) this.currentBridge.send(buf);
    else this.current?.leg?.send(buf);
  }

  destinationMaxPdu(): number {
    return this.currentBridge ? this.currentBridge.maxPdu : (this.current?.maxPdu ?? 0);
  }

  close(): void {
    this.closed = true;
    for (const d of this.dests.values()) {
      d.settle?.(false, 'association closed');
      if (d.leg && !d.leg.closedFlag) {
        if (d.state !== 'closed') d.leg.send(encodePdu({ type: 'A-ABORT', source: 2, reason: 0 }));
        d.leg.end();
        setTimeout(() => d.leg?.destroy(), this.h.artimMs).unref();
      }
      d.state = 'closed';
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Answer a C-STORE-RQ (or other request) with a failure the gateway chose, and drop its data set. */
  private refuse(pcId: number, cs: CommandSet, st: number, why: string): CommandAction {
    this.h.log.warn({ movingNode: this.movingNode.name, status: st }, `sub-operation refused: ${why}`);
    const rsp = responseFor(cs, st, printable(why));
    if (rsp) this.h.send(Buffer.concat(commandToPData(pcId, rsp, this.h.callerMaxPdu())));
    return { kind: 'swallow', dataSetFollows: hasDataSet(cs) };
  }

  private newDestination(node: NodeConfig): Destination {
    const rq: AAssociateRq = {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: node.aeTitle ?? node.name,
      // Destinations know the archive by the name callers use for it (dicom-facts 5.2).
      callingAeTitle: node.callingAeTitle ?? this.movingNode.name,
      applicationContextName: this.rq.applicationContextName,
      presentationContexts: this.rq.presentationContexts,
      userInformation: { ...this.rq.userInformation },
    };
    return { node, state: 'connecting', leg: null, pump: null, rq, contexts: new Map(), maxPdu: 0, ac: null, settle: null };
  }

  /** Connect, send the RQ, wait for the AC. Resolves null when ready, else why not. */
  private async open(d: Destination): Promise<string | null> {
    try {
      const socket = await this.h.connectNode(d.node);
      if (this.closed) {
        socket.destroy();
        return 'association closed';
      }
      d.pump = new PDataPump(this.destinationHooks(d));
      d.leg = new Leg('node', socket, d.pump, this.h.legEvents((err) => this.onDestinationClosed(d, err)), 1024 * 1024);
      d.leg.peer = this.h.callerLeg;
    } catch (err) {
      d.state = 'closed';
      return `${d.node.name}: ${(err as Error).message}`;
    }
    d.state = 'awaiting-ac';
    const answered = new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => d.settle?.(false, `no A-ASSOCIATE-AC within ${this.h.artimMs} ms`), this.h.artimMs);
      d.settle = (ok, why) => {
        clearTimeout(timer);
        d.settle = null;
        resolve(ok ? null : `${d.node.name}: ${why ?? 'failed'}`);
      };
    });
    d.leg.send(encodePdu(d.rq));
    const r = await answered;
    if (r !== null && d.leg && !d.leg.closedFlag) {
      d.leg.send(encodePdu({ type: 'A-ABORT', source: 2, reason: 0 }));
      d.leg.end();
      d.state = 'closed';
    }
    return r;
  }

  private destinationHooks(d: Destination) {
    return {
      pdataAllowed: () => d.state === 'ready' || d.state === 'releasing',
      contextAccepted: (pcId: number) => d.contexts.has(pcId),
      onCommand: (_pcId: number, bytes: Buffer, cs: CommandSet): CommandAction => {
        if (commandField(cs) === COMMAND_FIELD['C-STORE-RSP']) {
          const move = this.inFlight.get(messageIdBeingRespondedTo(cs) ?? -1);
          if (move) {
            this.inFlight.delete(messageIdBeingRespondedTo(cs) ?? -1);
            const cls = statusClass(status(cs) ?? 0xffff);
            if (cls === 'success') move.relayed.completed++;
            else if (cls === 'warning') move.relayed.warning++;
            else move.relayed.failed++;
          }
        }
        return { kind: 'forward', bytes };
      },
      onControlPdu: (_type: number, raw: Buffer) => this.onDestinationPdu(d, raw),
      onProtocolError: (e: DecodeError) => this.h.abort(`protocol error from move destination ${d.node.name}: ${e.message}`),
      send: (buf: Buffer) => this.h.send(buf),
      replyToSource: (buf: Buffer) => void d.leg?.send(buf),
      destinationMaxPdu: () => this.h.callerMaxPdu(),
    };
  }

  private onDestinationPdu(d: Destination, raw: Buffer): void {
    const r = decodePdu(raw);
    if (!r.ok) return this.h.abort(`move destination ${d.node.name} sent a malformed PDU: ${r.error.message}`);
    const pdu = r.value;
    if (pdu.type === 'A-ASSOCIATE-AC' && d.state === 'awaiting-ac') {
      d.ac = pdu;
      d.contexts = acceptedContexts(d.rq, pdu);
      d.maxPdu = pdu.userInformation.maxLength ?? 0;
      d.leg?.framer.setMaxPDataLength(d.rq.userInformation.maxLength ?? 0);
      d.state = 'ready';
      d.settle?.(true);
      return;
    }
    if (pdu.type === 'A-ASSOCIATE-RJ' && d.state === 'awaiting-ac') {
      d.settle?.(false, `rejected: ${describeReject(pdu.result, pdu.source, pdu.reason)}`);
      return;
    }
    if (pdu.type === 'A-RELEASE-RP' && d.state === 'releasing') {
      d.state = 'closed';
      d.leg?.end();
      return this.maybeFinishRelease();
    }
    if (pdu.type === 'A-ABORT') {
      d.state = 'closed';
      if (d.settle) return d.settle(false, 'aborted');
      return this.h.abort(`move destination ${d.node.name} aborted the association`);
    }
    this.h.abort(`unexpected ${pdu.type} from move destination ${d.node.name}`);
  }

  private onDestinationClosed(d: Destination, err: Error | null): void {
    const was = d.state;
    d.state = 'closed';
    if (d.settle) return d.settle(false, err?.message ?? 'connection closed');
    if (was === 'ready' && !this.closed) this.h.abort(`move destination ${d.node.name} closed the connection`);
    if (was === 'releasing') this.maybeFinishRelease();
  }

  /** N asked to release: release every destination first, then answer N (PS3.8 7.2). */
  private release(): void {
    this.releasing = true;
    for (const d of this.dests.values()) {
      if (d.state === 'ready') {
        d.state = 'releasing';
        d.leg?.send(encodePdu({ type: 'A-RELEASE-RQ' }));
      }
    }
    this.maybeFinishRelease();
  }

  private maybeFinishRelease(): void {
    if (!this.releasing || this.closed) return;
    if ([...this.dests.values()].some((d) => d.state === 'releasing')) return;
    this.h.send(encodePdu({ type: 'A-RELEASE-RP' }));
    this.h.released();
  }
}

/** The smaller of two Maximum Length values, 0 meaning unlimited (PS3.8 D.1). */
function minLimit(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}
