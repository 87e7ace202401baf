// One side of a relayed association: a socket, its PDU framer, and byte accounting. The relay
// (association.ts) owns two legs; all PDU writes go through send() so counters and the
// closed-socket guard live in one place.
import { PduFramer, type FramerHandler } from '../ul/framer.ts';
import type { GatewaySocket } from './transport.ts';
import { isRoutineSocketError } from '../obs/log.ts';

export type Side = 'caller' | 'node';

export interface LegEvents {
  onBytesWritten(side: Side, n: number): void;
  onActivity(): void;
  onClosed(side: Side, hadError: boolean, err: Error | null): void;
}

export class Leg {
  readonly framer: PduFramer;
  private ended = false;
  private readonly onData: (chunk: Buffer) => void;
  /** The leg this one's PDUs are written to; corked while a chunk is parsed so header + data
   *  written for one inbound chunk leave as one writev (one TLS record instead of several). */
  peer: Leg | null = null;
  closedFlag = false;
  lastError: Error | null = null;

  constructor(
    readonly side: Side,
    readonly socket: GatewaySocket,
    handler: FramerHandler,
    private readonly events: LegEvents,
    maxControlPduLength: number,
  ) {
    this.framer = new PduFramer(handler, { maxControlPduLength });
    this.onData = (chunk: Buffer) => {
      this.events.onActivity();
      const peer = this.peer;
      if (peer && !peer.closedFlag) peer.socket.cork();
      try {
        this.framer.push(chunk);
      } finally {
        if (peer && !peer.closedFlag) {
          peer.socket.uncork();
          // Back-pressure: stop reading here until the other side has taken what we gave it, so
          // memory per association stays at about one chunk whatever the PDU size.
          if (peer.socket.writableNeedDrain && !this.socket.isPaused()) {
            this.socket.pause();
            peer.socket.once('drain', () => {
              if (!this.closedFlag) this.socket.resume();
            });
          }
        }
      }
    };
    socket.on('data', this.onData);
    socket.on('error', (err) => {
      this.lastError = err;
    });
    socket.on('close', (hadError) => {
      this.closedFlag = true;
      this.events.onClosed(side, hadError, this.lastError);
    });
  }

  get routineError(): boolean {
    return this.lastError === null || isRoutineSocketError(this.lastError);
  }

  /** Writes PDU bytes; false when the socket is gone (the caller's state machine decides what next). */
  send(buf: Buffer): boolean {
    if (this.closedFlag || this.ended || this.socket.destroyed) return false;
    this.events.onBytesWritten(this.side, buf.length);
    this.socket.write(buf);
    return true;
  }

  /** Flushes what was written, then closes our write side (FIN / TLS close_notify). */
  end(): void {
    if (this.ended || this.closedFlag) return;
    this.ended = true;
    this.socket.end();
  }

  /** Stops reading further PDUs from this side (after A-ABORT, release, or a protocol error). */
  stopReading(): void {
    this.socket.removeListener('data', this.onData);
    this.socket.on('data', () => {}); // keep draining so the peer's FIN is seen
  }

  destroy(): void {
    this.closedFlag = true;
    this.socket.destroy();
  }
}
