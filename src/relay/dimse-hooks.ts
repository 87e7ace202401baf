// What the relay does with each complete DIMSE command on a relayed association: count requests
// (metrics, audit totals) and enforce Move Destination control (CONTRACT "C-MOVE across NAT": a
// destination that is not a reachable, allowed node is answered 0xA801 by the gateway and never
// forwarded). Everything else is forwarded as the original bytes.
import type { GatewayConfig, NodeConfig } from '../config/types.ts';
import type { GatewayMetrics } from '../obs/metrics.ts';
import type { Logger } from '../obs/log.ts';
import {
  COMMAND_FIELD,
  TAG,
  commandField,
  commandSetOf,
  encodeCommandSet,
  hasDataSet,
  isResponse,
  messageId,
  moveDestination,
  affectedSopClassUid,
  serviceName,
  type CommandSet,
} from '../dimse/command-set.ts';
import { commandToPData } from '../dimse/fragment.ts';
import { moveDestinationDecision } from '../policy/decide.ts';
import type { AcceptedContext } from './negotiation.ts';
import type { Side } from './leg.ts';

export const STATUS_MOVE_DESTINATION_UNKNOWN = 0xa801;

export interface InspectInput {
  side: Side;
  pcId: number;
  bytes: Buffer;
  command: CommandSet;
  context: AcceptedContext;
  config: GatewayConfig;
  node: NodeConfig | null;
  metrics: GatewayMetrics;
  log: Logger;
  dimseCounts: Record<string, number>;
  callerMaxPdu: number;
}

export type InspectResult =
  | { kind: 'forward'; bytes: Buffer }
  | { kind: 'answer'; reply: Buffer[]; dataSetFollows: boolean };

export function inspectCommand(i: InspectInput): InspectResult {
  const field = commandField(i.command) ?? 0;
  if (!isResponse(field)) {
    const service = serviceName(field);
    i.dimseCounts[service] = (i.dimseCounts[service] ?? 0) + 1;
    i.metrics.dimseRequestsTotal.inc({ command: service, node: i.node?.name ?? i.config.aeTitle });
  }
  if (i.side === 'caller' && field === COMMAND_FIELD['C-MOVE-RQ'] && i.node) {
    const dest = moveDestination(i.command) ?? '';
    const d = moveDestinationDecision(i.config, i.node.name, dest);
    if (!d.ok) {
      i.metrics.moveDestinationRejectionsTotal.inc({ node: i.node.name });
      i.log.warn({ moveDestination: dest, node: i.node.name }, `C-MOVE-RQ refused with 0xA801: ${d.comment}`);
      const rsp = moveRsp(i.command, STATUS_MOVE_DESTINATION_UNKNOWN, d.comment);
      return { kind: 'answer', reply: commandToPData(i.pcId, rsp, i.callerMaxPdu), dataSetFollows: hasDataSet(i.command) };
    }
  }
  return { kind: 'forward', bytes: i.bytes };
}

/** Final C-MOVE-RSP with no identifier (PS3.7 9.3.4.2): failure status, zero counts, Error Comment. */
function moveRsp(rq: CommandSet, status: number, comment: string): Buffer {
  return encodeCommandSet(
    commandSetOf([
      [TAG.AffectedSOPClassUID, affectedSopClassUid(rq) ?? ''],
      [TAG.CommandField, COMMAND_FIELD['C-MOVE-RSP']],
      [TAG.MessageIDBeingRespondedTo, messageId(rq) ?? 0],
      [TAG.CommandDataSetType, 0x0101],
      [TAG.Status, status],
      [TAG.ErrorComment, comment.replace(/[^\x20-\x7e]/g, '?')],
      [TAG.NumberOfRemainingSuboperations, 0],
      [TAG.NumberOfCompletedSuboperations, 0],
      [TAG.NumberOfFailedSuboperations, 0],
      [TAG.NumberOfWarningSuboperations, 0],
    ]),
  );
}
