// P-DATA pass-through for one direction of one association. Data-set PDVs stream straight to the
// other side as they arrive (each inbound PDV becomes one outbound P-DATA-TF, never larger than
// the inbound PDU, so the receiver's Maximum Length still holds); command PDVs are collected (they
// are small), handed to the association for inspection or rewriting, and re-fragmented to the
// receiver's maximum. Memory per direction is one command set plus a few header bytes.
import type { FramerHandler } from '../ul/framer.ts';
import type { DecodeError } from '../ul/types.ts';
import { encodeSinglePdvHeaders } from '../ul/pdu/pdata.ts';
import { commandToPData, dataToPData } from '../dimse/fragment.ts';
import { MessageAssembler } from '../dimse/assembler.ts';
import type { CommandSet } from '../dimse/command-set.ts';

/** What the association decided about a complete command message. */
export type CommandAction =
  | { kind: 'forward'; bytes: Buffer } // possibly rewritten
  | { kind: 'swallow'; dataSetFollows: boolean } // answered by the gateway: drop the command and its data set
  // Keep the (small) data set back until it is whole, then let `decide` forward both or answer the
  // sender itself: identifiers of requests the gateway rewrites are checked before the node sees them.
  | { kind: 'hold'; bytes: Buffer; maxDataSet: number; decide(dataSet: Buffer | null): HoldDecision };

/** null data set: it was larger than maxDataSet. */
export type HoldDecision = { kind: 'forward' } | { kind: 'answer'; reply: Buffer[] };

export interface PumpHooks {
  /** P-DATA-TF is valid in the association's current state (else A-ABORT 2/2). */
  pdataAllowed(): boolean;
  /** The presentation context id was negotiated and accepted. */
  contextAccepted(pcId: number): boolean;
  onCommand(pcId: number, bytes: Buffer, command: CommandSet): CommandAction;
  onControlPdu(pduType: number, raw: Buffer): void;
  onProtocolError(error: DecodeError): void;
  /** Writes to the other leg. */
  send(buf: Buffer): void;
  /** Writes back to the leg the PDUs came from (answers to held requests). */
  replyToSource(buf: Buffer): void;
  /** The other leg's receive limit (its Maximum Length, 0 = unlimited). */
  destinationMaxPdu(): number;
  /** Presentation context id to use on the other leg (differs only when bridging C-GET). */
  outboundPcId?(pcId: number): number;
  /** A forwarded message (command and any data set) has been passed on whole. */
  onMessageEnd?(): void;
}

type PdvMode = 'command' | 'data' | 'drop' | 'hold';

export class PDataPump implements FramerHandler {
  private readonly assembler = new MessageAssembler();
  private mode: PdvMode = 'data';
  private pcId = 0;
  private swallowing = false;
  private dead = false;
  private held: { action: Extract<CommandAction, { kind: 'hold' }>; pcIdOut: number; chunks: Buffer[]; size: number; overflow: boolean } | null = null;

  constructor(private readonly hooks: PumpHooks) {}

  /** After a protocol error the rest of the chunk being parsed is ignored. */
  kill(): void {
    this.dead = true;
  }

  onPdu(pduType: number, raw: Buffer): void {
    if (!this.dead) this.hooks.onControlPdu(pduType, raw);
  }

  onPDataStart(): void {
    if (this.dead) return;
    if (!this.hooks.pdataAllowed()) this.fail({ kind: 'unexpected-pdu', message: 'P-DATA-TF before the association was established' });
  }

  onPdvStart(fragmentLength: number, pcId: number, isCommand: boolean, isLast: boolean): void {
    if (this.dead) return;
    if (!this.hooks.contextAccepted(pcId)) {
      return this.fail({ kind: 'invalid-pdu-parameter-value', message: `PDV on presentation context ${pcId}, which was not accepted` });
    }
    const err = this.assembler.pdvStart(pcId, isCommand, isLast, fragmentLength);
    if (err) return this.fail({ kind: 'invalid-pdu-parameter-value', message: err.message });
    this.pcId = pcId;
    if (isCommand) {
      this.mode = 'command';
    } else if (this.swallowing) {
      this.mode = 'drop';
    } else if (this.held) {
      this.mode = 'hold';
    } else {
      this.mode = 'data';
      // One PDV per outbound PDU: PDU length = PDV item (4-byte length + 2 header bytes + fragment).
      const out = this.hooks.outboundPcId ? this.hooks.outboundPcId(pcId) : pcId;
      this.hooks.send(encodeSinglePdvHeaders(fragmentLength, out, false, isLast));
    }
  }

  onPdvData(chunk: Buffer): void {
    if (this.dead) return;
    // The assembler copies command chunks and only counts data chunks.
    const err = this.assembler.pdvData(chunk);
    if (err) return this.fail({ kind: 'invalid-pdu-parameter-value', message: err.message });
    if (this.mode === 'data') this.hooks.send(chunk);
    else if (this.mode === 'hold' && this.held) {
      const h = this.held;
      h.size += chunk.length;
      if (h.size > h.action.maxDataSet) h.overflow = true;
      else h.chunks.push(Buffer.from(chunk));
    }
  }

  onPdvEnd(): void {
    if (this.dead) return;
    const ev = this.assembler.pdvEnd();
    if (ev === null) return;
    if (ev.kind === 'error') return this.fail({ kind: 'invalid-pdu-parameter-value', message: ev.message });
    if (ev.kind === 'data-end') {
      if (this.held) return this.release();
      if (!this.swallowing) this.hooks.onMessageEnd?.();
      this.swallowing = false;
      return;
    }
    if (ev.kind !== 'command') return;
    const action = this.hooks.onCommand(ev.pcId, ev.bytes, ev.command);
    if (this.dead) return;
    if (action.kind === 'swallow') {
      this.swallowing = action.dataSetFollows;
      return;
    }
    const out = this.hooks.outboundPcId ? this.hooks.outboundPcId(this.pcId) : this.pcId;
    if (action.kind === 'hold' && ev.hasDataSet) {
      this.held = { action, pcIdOut: out, chunks: [], size: 0, overflow: false };
      return;
    }
    for (const pdu of commandToPData(out, action.bytes, this.hooks.destinationMaxPdu())) this.hooks.send(pdu);
    if (!ev.hasDataSet) this.hooks.onMessageEnd?.();
  }

  onPDataEnd(): void {}

  /** The held data set is whole: forward command and data set, or send the sender the answer. */
  private release(): void {
    const h = this.held!;
    this.held = null;
    const d = h.action.decide(h.overflow ? null : Buffer.concat(h.chunks, h.size));
    if (d.kind === 'answer') {
      for (const pdu of d.reply) this.hooks.replyToSource(pdu);
      return;
    }
    const max = this.hooks.destinationMaxPdu();
    for (const pdu of commandToPData(h.pcIdOut, h.action.bytes, max)) this.hooks.send(pdu);
    for (const pdu of dataToPData(h.pcIdOut, Buffer.concat(h.chunks, h.size), max)) this.hooks.send(pdu);
    this.hooks.onMessageEnd?.();
  }

  onError(error: DecodeError): void {
    if (!this.dead) this.fail(error);
  }

  private fail(error: DecodeError): void {
    this.dead = true;
    this.hooks.onProtocolError(error);
  }
}
