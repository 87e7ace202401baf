// Associations the gateway answers itself (Called AE = its own AE title) are driven by a
// LocalHandler: LocalService answers C-ECHO; SubOperationRelay carries a moving node's C-STORE
// sub-operations to their real destinations. The Association keeps the caller's socket, framer,
// timers and accounting; the handler decides what the PDUs mean.
import type { NodeConfig } from '../config/types.ts';
import type { RejectionReason } from '../obs/metrics.ts';
import type { Logger } from '../obs/log.ts';
import type { DecodeError, Pdu } from '../ul/types.ts';
import type { CommandSet } from '../dimse/command-set.ts';
import type { AcceptedContext } from './negotiation.ts';
import type { CommandAction } from './pump.ts';
import type { Leg, LegEvents } from './leg.ts';
import type { GatewaySocket } from './transport.ts';

export interface LocalHooks {
  log: Logger;
  /** Writes to the caller. */
  send(buf: Buffer): void;
  /** Contexts usable on the caller's association, the caller's receive limit, and ours. */
  setContexts(c: Map<number, AcceptedContext>, callerMax: number, ownMax: number): void;
  callerMaxPdu(): number;
  /** The A-ASSOCIATE-AC went out: count and audit the association as accepted. */
  accepted(): void;
  /** Answer the caller's RQ with A-ASSOCIATE-RJ (before accepted()). */
  reject(result: number, source: number, reason: number, metricReason: RejectionReason, message: string): void;
  /** A-RELEASE-RP went out to the caller. */
  released(): void;
  protocolError(e: DecodeError): void;
  /** A-ABORT to the caller (and everything the handler opened), e.g. a destination went away. */
  abort(reason: string): void;
  countRequest(command: string, node: string): void;
  connectNode(node: NodeConfig): Promise<GatewaySocket>;
  legEvents(onClosed: (err: Error | null) => void): LegEvents;
  callerLeg: Leg;
  artimMs: number;
}

export interface LocalHandler {
  accept(): void | Promise<void>;
  onControlPdu(pdu: Pdu): void;
  onCommand(pcId: number, command: CommandSet, bytes: Buffer): CommandAction;
  /** Data-set bytes of a command the handler answered 'forward' to. */
  forwardData?(buf: Buffer): void;
  destinationMaxPdu?(): number;
  /** Presentation context id for forwarded PDVs (bridged C-GET sub-operations change it). */
  outboundPcId?(pcId: number): number;
  /** A forwarded message has been passed on whole. */
  onMessageEnd?(): void;
  /** The association is over: close whatever the handler opened. */
  close?(): void;
}
