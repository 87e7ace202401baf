// What the relay does with each complete DIMSE command on a relayed association (caller <-> node):
// count requests (metrics, audit totals), enforce Move Destination control (CONTRACT "C-MOVE across
// NAT": a destination that is not a reachable, allowed node is answered 0xA801 by the gateway and
// never forwarded) and, for nodes with rewriteMoveDestination, rewrite the C-MOVE-RQ to the
// gateway's AE title with a gateway-unique Message ID and map the responses and C-CANCELs back.
// Everything else is forwarded as the original bytes.
import type { GatewayConfig, NodeConfig } from '../config/types.ts';
import type { GatewayMetrics } from '../obs/metrics.ts';
import type { Logger } from '../obs/log.ts';
import {
  COMMAND_FIELD,
  TAG,
  commandField,
  commandName,
  describeCommand,
  encodeCommandSet,
  hasDataSet,
  isResponse,
  messageId,
  messageIdBeingRespondedTo,
  moveDestination,
  serviceName,
  status,
  withString,
  withUint16,
  type CommandSet,
} from '../dimse/command-set.ts';
import { commandToPData } from '../dimse/fragment.ts';
import { responseFor } from '../dimse/messages.ts';
import { moveDestinationDecision } from '../policy/decide.ts';
import type { Side } from './leg.ts';
import type { PendingMove, PendingMoves } from './pending-moves.ts';
import type { GetBridge } from './get-bridge.ts';
import type { CommandAction } from './pump.ts';
import { validateIdentifier } from '../dimse/identifier.ts';
import { cMoveRqFromGet } from '../dimse/messages.ts';

export const STATUS_MOVE_DESTINATION_UNKNOWN = 0xa801;

/** PS3.7 C.4.2.1.5: 0xFF00/0xFF01 are pending; anything else ends the operation. */
export function isPending(s: number | undefined): boolean {
  return s === 0xff00 || s === 0xff01;
}

export type InspectResult =
  | { kind: 'forward'; bytes: Buffer }
  | { kind: 'answer'; reply: Buffer[]; dataSetFollows: boolean }
  | Extract<CommandAction, { kind: 'hold' }>;

/** Identifiers are small (keys of one study or series); anything bigger is not one. */
export const MAX_IDENTIFIER_LENGTH = 1024 * 1024;
/** PS3.4 C.4.2.1.5: "Identifier does not match SOP Class". */
export const STATUS_IDENTIFIER_MISMATCH = 0xa900;

export interface RelayedCommandsDeps {
  config: GatewayConfig;
  node: NodeConfig;
  callingAe: string;
  associationId: string;
  metrics: GatewayMetrics;
  log: Logger;
  pendingMoves: PendingMoves;
  callerMaxPdu: () => number;
  onMoveDestinationRejected?: (destination: string, comment: string) => void;
  /** Transfer syntax accepted for a presentation context (identifiers are encoded in it). */
  transferSyntaxOf: (pcId: number) => string;
  onRequestRefused?: (what: string) => void;
}

/** Per relayed association: command inspection plus the C-MOVEs it has pending. */
export class RelayedCommands {
  readonly counts: Record<string, number> = {};
  /** Forwarded Message ID -> pending move, for moves this association started; `getClass` set
   *  when the move serves a bridged C-GET. */
  private readonly moves = new Map<number, { move: PendingMove; getClass?: string }>();
  /** Set when the node has bridgeGetToMove and the caller negotiated C-GET. */
  bridge: GetBridge | null = null;

  constructor(private readonly d: RelayedCommandsDeps) {}

  inspect(side: Side, pcId: number, bytes: Buffer, cs: CommandSet): InspectResult {
    const field = commandField(cs) ?? 0;
    if (!isResponse(field)) {
      // Only known commands become label values: caller input must not mint new series.
      const service = commandName(field).startsWith('UNKNOWN') ? 'other' : serviceName(field);
      this.counts[service] = (this.counts[service] ?? 0) + 1;
      this.d.metrics.dimseRequestsTotal.inc({ command: service, node: this.d.node.name });
    }
    if (side === 'caller' && field === COMMAND_FIELD['C-MOVE-RQ']) return this.onMoveRq(pcId, bytes, cs);
    if (side === 'caller' && field === COMMAND_FIELD['C-GET-RQ'] && this.bridge?.getContexts.has(pcId)) return this.onGetRq(pcId, cs);
    if (side === 'caller' && field === COMMAND_FIELD['C-STORE-RSP'] && this.bridge?.onCallerStoreRsp(cs)) return { kind: 'answer', reply: [], dataSetFollows: false };
    if (side === 'caller' && field === COMMAND_FIELD['C-CANCEL-RQ']) return this.onCancel(bytes, cs);
    if (side === 'node' && field === COMMAND_FIELD['C-MOVE-RSP']) return this.onMoveRsp(bytes, cs);
    return { kind: 'forward', bytes };
  }

  /** The association ended: its moves end with it (CONTRACT: "a pending move ends with its final
   *  C-MOVE-RSP or its association"). */
  close(): void {
    for (const { move } of this.moves.values()) this.d.pendingMoves.end(move.id);
    this.moves.clear();
    this.bridge?.close();
  }

  private onMoveRq(pcId: number, bytes: Buffer, cs: CommandSet): InspectResult {
    const { node, config, log } = this.d;
    const dest = moveDestination(cs) ?? '';
    const decision = moveDestinationDecision(config, node.name, dest);
    if (!decision.ok) {
      this.d.metrics.moveDestinationRejectionsTotal.inc({ node: node.name });
      this.d.onMoveDestinationRejected?.(dest, decision.comment);
      log.warn({ moveDestination: dest, node: node.name }, `C-MOVE-RQ refused with 0xA801: ${decision.comment}`);
      const rsp = responseFor(cs, STATUS_MOVE_DESTINATION_UNKNOWN, printable(decision.comment))!;
      return { kind: 'answer', reply: commandToPData(pcId, rsp, this.d.callerMaxPdu()), dataSetFollows: hasDataSet(cs) };
    }
    if (!node.rewriteMoveDestination) return this.checked(pcId, cs, bytes, null);
    const callerId = messageId(cs) ?? 0;
    const move = this.d.pendingMoves.begin({
      movingNode: node.name,
      callerAe: this.d.callingAe,
      callerMessageId: callerId,
      destination: decision.node,
      bridge: null,
      association: this.d.associationId,
    });
    this.moves.set(move.id, { move });
    log.info({ moveId: move.id, callerMessageId: callerId, destination: decision.node.name }, `C-MOVE-RQ to ${node.name}: Move Destination ${dest} rewritten to ${config.aeTitle}`);
    const rewritten = withUint16(withString(cs, TAG.MoveDestination, config.aeTitle), TAG.MessageID, move.id);
    return this.checked(pcId, cs, encodeCommandSet(rewritten), move);
  }

  /** Forward a C-MOVE/C-GET request once its identifier is known to be a data set in the
   *  negotiated transfer syntax; otherwise answer 0xA900 and end the move (issue: bad identifiers
   *  get a failure status, a log line and an audit event, and never reach the node). */
  private checked(pcId: number, rq: CommandSet, bytes: Buffer, move: PendingMove | null): InspectResult {
    return {
      kind: 'hold',
      bytes,
      maxDataSet: MAX_IDENTIFIER_LENGTH,
      decide: (dataSet) => {
        const v = dataSet === null ? { ok: false as const, reason: `identifier longer than ${MAX_IDENTIFIER_LENGTH} bytes` } : validateIdentifier(dataSet, this.d.transferSyntaxOf(pcId));
        if (v.ok) return { kind: 'forward' };
        if (move) {
          this.moves.delete(move.id);
          this.d.pendingMoves.end(move.id);
        }
        const what = `${describeRequest(rq)} refused with 0xA900: the identifier is not a valid data set (${v.reason})`;
        this.d.log.warn({ node: this.d.node.name }, what);
        this.d.onRequestRefused?.(what);
        const rsp = responseFor(rq, STATUS_IDENTIFIER_MISMATCH, printable(`Identifier is not a valid data set: ${v.reason}`))!;
        return { kind: 'answer', reply: commandToPData(pcId, rsp, this.d.callerMaxPdu()) };
      },
    };
  }

  private onCancel(bytes: Buffer, cs: CommandSet): InspectResult {
    const target = messageIdBeingRespondedTo(cs);
    const move = [...this.moves.values()].map((m) => m.move).find((m) => m.callerMessageId === target);
    if (!move) return { kind: 'forward', bytes };
    return { kind: 'forward', bytes: encodeCommandSet(withUint16(cs, TAG.MessageIDBeingRespondedTo, move.id)) };
  }

  /** Bridged C-GET: the node gets a C-MOVE-RQ with the gateway as Move Destination and a
   *  gateway-unique Message ID; the identifier data set follows unchanged. */
  private onGetRq(pcId: number, cs: CommandSet): InspectResult {
    const bridge = this.bridge!;
    const callerId = messageId(cs) ?? 0;
    const move = this.d.pendingMoves.begin({
      movingNode: this.d.node.name,
      callerAe: this.d.callingAe,
      callerMessageId: callerId,
      destination: null,
      bridge,
      association: this.d.associationId,
    });
    const r = cMoveRqFromGet(cs, { messageId: move.id, moveDestination: this.d.config.aeTitle });
    if (!r.ok) {
      this.d.pendingMoves.end(move.id);
      this.d.log.warn(`C-GET-RQ refused: ${r.reason}`);
      const rsp = responseFor(cs, 0xa900, printable(r.reason))!;
      return { kind: 'answer', reply: commandToPData(pcId, rsp, this.d.callerMaxPdu()), dataSetFollows: hasDataSet(cs) };
    }
    this.moves.set(move.id, { move, getClass: bridge.getContexts.get(pcId) });
    this.d.log.info({ moveId: move.id, callerMessageId: callerId }, `C-GET-RQ bridged: C-MOVE-RQ to ${this.d.node.name} with destination ${this.d.config.aeTitle}`);
    return this.checked(pcId, cs, r.bytes, move);
  }

  private onMoveRsp(bytes: Buffer, cs: CommandSet): InspectResult {
    const entry = this.moves.get(messageIdBeingRespondedTo(cs) ?? -1);
    if (!entry) return { kind: 'forward', bytes };
    const { move, getClass } = entry;
    const st = status(cs);
    if (!isPending(st)) {
      this.moves.delete(move.id);
      this.d.pendingMoves.end(move.id);
      this.d.log.info({ moveId: move.id, status: st, relayed: move.relayed }, getClass ? 'bridged C-GET finished' : 'C-MOVE finished');
    }
    if (getClass && this.bridge) return { kind: 'forward', bytes: this.bridge.getRspFromMoveRsp(cs, getClass, move.callerMessageId) };
    return { kind: 'forward', bytes: encodeCommandSet(withUint16(cs, TAG.MessageIDBeingRespondedTo, move.callerMessageId)) };
  }
}

/** Error Comment is LO: printable, at most 64 characters. */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').replace(/\\/g, '/').slice(0, 64);
}

function describeRequest(cs: CommandSet): string {
  return describeCommand(cs).split(' ')[0] ?? 'request';
}
