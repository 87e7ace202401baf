// Streaming PDU framer (PS3.8 9.3.1: a 6-byte header, then exactly PDU-length bytes). It cuts a byte
// stream into PDUs as a resumable state list (STYLE rule 5):
//
//   pdu-header --(non-P-DATA)--> control-body --> pdu-header        onPdu(type, raw)
//   pdu-header --(P-DATA-TF)--> pdv-header --> pdv-data --> pdv-header ... --> pdu-header
//                               onPDataStart   onPdvStart  onPdvData* onPdvEnd   onPDataEnd
//
// Control PDUs (A-ASSOCIATE, A-RELEASE, A-ABORT) are handed over whole, as a subarray of the input
// when the whole PDU sits in one chunk, else as one copy. P-DATA-TF is never buffered: PDV fragments
// go out as subarrays of the input, so memory stays at a few header bytes whatever the PDU length.
// Lengths are checked against the caps as soon as the header is read, before any body byte is kept.
//
// Errors go to onError once; the framer then stays failed and ignores input. The socket owner decides
// what to do (A-ABORT with ABORT_REASON_FOR[kind], then close).
//
// Re-entrancy: a handler may call push() (the chunk is queued and framed after the current one, in
// order) and setMaxPDataLength() (applies from the next PDU header, so a relay can set the negotiated
// limit from inside onPdu(A-ASSOCIATE-AC) before the next PDU in the same chunk is framed). A handler
// that throws fails the framer: onError gets a FramerError with `handlerError` set.
import type { DecodeError, DecodeErrorKind } from './types.ts';
import { PDU_TYPE } from './types.ts';
import { isKnownPduType, pduTypeName } from './codec.ts';
import { MCH_COMMAND, MCH_LAST, PDV_HEADER_LENGTH, checkPdvItemLength, pdvHeaderTruncated } from './pdu/pdata.ts';
import { PDU_HEADER_LENGTH } from './wire.ts';

export interface FramerHandler {
  /** A whole non-P-DATA PDU, header included (copy-free when it sits in one chunk). */
  onPdu(pduType: number, raw: Buffer): void;
  /** P-DATA-TF header read; `pduLength` excludes the 6-byte header. */
  onPDataStart(pduLength: number): void;
  onPdvStart(fragmentLength: number, presentationContextId: number, isCommand: boolean, isLast: boolean): void;
  /** A slice of the current PDV fragment, a subarray of the input; many per PDV, none for an empty fragment. */
  onPdvData(chunk: Buffer): void;
  onPdvEnd(): void;
  onPDataEnd(): void;
  /** The framer stops; later push() calls do nothing. */
  onError(error: DecodeError): void;
}

export interface FramerOptions {
  /** Cap on the PDU length of non-P-DATA PDUs (A-ASSOCIATE-RQ/AC with many contexts or identity
   *  tokens can be KBs; DCMTK allows 1 MB). Default 1 MiB. */
  maxControlPduLength?: number;
  /** Cap on the P-DATA-TF PDU length (header excluded), i.e. the maximum length we advertised in
   *  sub-item 0x51. 0 = unlimited (default). A PDU of exactly this length is accepted. */
  maxPDataLength?: number;
}

/** What onError receives: a DecodeError, plus the exception when a handler callback threw. */
export interface FramerError extends DecodeError {
  handlerError?: unknown;
}

export const DEFAULT_MAX_CONTROL_PDU_LENGTH = 1024 * 1024;

/** PS3.8 Tables 9-21, 9-24..9-26: these PDUs always have PDU length 4. */
const FIXED_LENGTH_FOUR = new Set<number>([
  PDU_TYPE['A-ASSOCIATE-RJ'],
  PDU_TYPE['A-RELEASE-RQ'],
  PDU_TYPE['A-RELEASE-RP'],
  PDU_TYPE['A-ABORT'],
]);

type State = 'pdu-header' | 'control-body' | 'pdv-header' | 'pdv-data';

export class PduFramer {
  readonly #handler: FramerHandler;
  readonly #maxControlPduLength: number;
  #maxPDataLength: number;

  #state: State = 'pdu-header';
  #failed = false;
  /** Scratch for a PDU or PDV header split across chunks (both are 6 bytes). */
  readonly #header = Buffer.alloc(6);
  #headerFill = 0;
  #pduType = 0;
  #pduLength = 0;
  /** Control PDU being assembled across chunks (header included). */
  #control: Buffer | undefined;
  #controlFill = 0;
  /** P-DATA-TF body bytes not yet framed, and bytes left of the current PDV fragment. */
  #pduRemaining = 0;
  #fragmentRemaining = 0;
  /** Chunks pushed by a handler while a push() is running. */
  readonly #queue: Buffer[] = [];
  #queuedBytes = 0;
  #running = false;

  constructor(handler: FramerHandler, opts: FramerOptions = {}) {
    this.#handler = handler;
    this.#maxControlPduLength = opts.maxControlPduLength ?? DEFAULT_MAX_CONTROL_PDU_LENGTH;
    this.#maxPDataLength = opts.maxPDataLength ?? 0;
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Bytes the framer holds copies of: a partial header, a partial control PDU, queued chunks. */
  get bytesBuffered(): number {
    return this.#headerFill + (this.#control === undefined ? 0 : this.#controlFill) + this.#queuedBytes;
  }

  /** True between PDUs (nothing of a next PDU read yet). */
  get atPduBoundary(): boolean {
    return this.#state === 'pdu-header' && this.#headerFill === 0;
  }

  /** Sets the P-DATA-TF cap (0 = unlimited); applies from the next PDU header. */
  setMaxPDataLength(n: number): void {
    this.#maxPDataLength = n;
  }

  push(chunk: Buffer): void {
    if (this.#failed || chunk.length === 0) return;
    if (this.#running) {
      this.#queue.push(chunk);
      this.#queuedBytes += chunk.length;
      return;
    }
    this.#running = true;
    try {
      let next: Buffer | undefined = chunk;
      while (next !== undefined && !this.#failed) {
        this.#consume(next);
        next = this.#queue.shift();
        if (next !== undefined) this.#queuedBytes -= next.length;
      }
    } finally {
      this.#running = false;
      if (this.#failed) {
        this.#queue.length = 0;
        this.#queuedBytes = 0;
      }
    }
  }

  #consume(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    // The loop also runs with pos === end so that zero-length steps (an empty PDV fragment) complete.
    while (!this.#failed) {
      switch (this.#state) {
        case 'pdu-header': {
          if (pos === end) return;
          // PS3.8 9.3.8 / Evt19: an unknown type byte fails at once (TLS hello or HTTP on a plain port);
          // no need to wait for a length or a body we could not interpret.
          if (this.#headerFill === 0 && !isKnownPduType(chunk[pos]!)) {
            this.#fail('unrecognized-pdu', pduTypeName(chunk[pos]!));
            return;
          }
          if (this.#headerFill === 0 && end - pos >= PDU_HEADER_LENGTH) {
            // Fast path: header and (maybe) the whole PDU lie in this chunk.
            pos = this.#pduHeader(chunk, pos, chunk, pos + PDU_HEADER_LENGTH);
          } else {
            pos = this.#fillHeader(chunk, pos);
            if (this.#headerFill < PDU_HEADER_LENGTH) return;
            this.#headerFill = 0;
            pos = this.#pduHeader(this.#header, 0, chunk, pos);
          }
          break;
        }
        case 'control-body': {
          const control = this.#control!;
          const take = Math.min(control.length - this.#controlFill, end - pos);
          chunk.copy(control, this.#controlFill, pos, pos + take);
          this.#controlFill += take;
          pos += take;
          if (this.#controlFill < control.length) return;
          this.#control = undefined;
          this.#controlFill = 0;
          this.#state = 'pdu-header';
          this.#emit('onPdu', () => this.#handler.onPdu(this.#pduType, control));
          break;
        }
        case 'pdv-header': {
          if (pos === end) return;
          if (this.#headerFill === 0 && end - pos >= PDV_HEADER_LENGTH) {
            this.#pdvHeader(chunk, pos);
            pos += PDV_HEADER_LENGTH;
          } else {
            pos = this.#fillHeader(chunk, pos);
            if (this.#headerFill < PDV_HEADER_LENGTH) return;
            this.#headerFill = 0;
            this.#pdvHeader(this.#header, 0);
          }
          break;
        }
        case 'pdv-data': {
          if (this.#fragmentRemaining > 0) {
            if (pos === end) return;
            const take = Math.min(this.#fragmentRemaining, end - pos);
            const slice = chunk.subarray(pos, pos + take);
            pos += take;
            this.#fragmentRemaining -= take;
            this.#pduRemaining -= take;
            this.#emit('onPdvData', () => this.#handler.onPdvData(slice));
            if (this.#failed || this.#fragmentRemaining > 0) break;
          }
          this.#pdvEnd();
          break;
        }
      }
    }
  }

  #fillHeader(chunk: Buffer, pos: number): number {
    const take = Math.min(6 - this.#headerFill, chunk.length - pos);
    chunk.copy(this.#header, this.#headerFill, pos, pos + take);
    this.#headerFill += take;
    return pos + take;
  }

  /** Handles a PDU header at h[hs..hs+6]; `pos` is where the body starts in `chunk`. Returns the new pos. */
  #pduHeader(h: Buffer, hs: number, chunk: Buffer, pos: number): number {
    const type = h[hs]!;
    const length = h.readUInt32BE(hs + 2);
    const name = pduTypeName(type); // known: checked on the first header byte
    this.#pduType = type;
    this.#pduLength = length;

    if (type === PDU_TYPE['P-DATA-TF']) {
      if (this.#maxPDataLength > 0 && length > this.#maxPDataLength) {
        this.#fail('pdu-too-large', `${name}: PDU length ${length} exceeds the maximum of ${this.#maxPDataLength}`);
        return pos;
      }
      if (length < PDV_HEADER_LENGTH) {
        this.#fail('invalid-pdu-parameter-value', `${name}: PDU length ${length}, too short for a PDV item (at least 6)`);
        return pos;
      }
      this.#pduRemaining = length;
      this.#state = 'pdv-header';
      this.#emit('onPDataStart', () => this.#handler.onPDataStart(length));
      return pos;
    }

    if (FIXED_LENGTH_FOUR.has(type) && length !== 4) {
      this.#fail('invalid-pdu-parameter-value', `${name}: PDU length ${length}, must be 4`);
      return pos;
    }
    if (length > this.#maxControlPduLength) {
      this.#fail('pdu-too-large', `${name}: PDU length ${length} exceeds the limit of ${this.#maxControlPduLength} for non-P-DATA PDUs`);
      return pos;
    }
    if (h === chunk && chunk.length - pos >= length) {
      // Whole PDU in this chunk: hand out a view, no copy.
      const raw = chunk.subarray(hs, pos + length);
      this.#emit('onPdu', () => this.#handler.onPdu(type, raw));
      return pos + length;
    }
    const control = Buffer.allocUnsafe(PDU_HEADER_LENGTH + length);
    h.copy(control, 0, hs, hs + PDU_HEADER_LENGTH);
    this.#control = control;
    this.#controlFill = PDU_HEADER_LENGTH;
    this.#state = 'control-body';
    return pos;
  }

  /** Handles a PDV item header at h[hs..hs+6]. */
  #pdvHeader(h: Buffer, hs: number): void {
    const itemLength = h.readUInt32BE(hs);
    const offset = PDU_HEADER_LENGTH + this.#pduLength - this.#pduRemaining;
    const problem = checkPdvItemLength(itemLength, offset, PDU_HEADER_LENGTH + this.#pduLength);
    if (problem !== undefined) return this.#fail('invalid-pdu-parameter-value', problem);
    const mch = h[hs + 5]!;
    const presentationContextId = h[hs + 4]!;
    this.#pduRemaining -= PDV_HEADER_LENGTH;
    this.#fragmentRemaining = itemLength - 2;
    this.#state = 'pdv-data';
    const fragmentLength = this.#fragmentRemaining;
    this.#emit('onPdvStart', () =>
      this.#handler.onPdvStart(fragmentLength, presentationContextId, (mch & MCH_COMMAND) !== 0, (mch & MCH_LAST) !== 0),
    );
  }

  #pdvEnd(): void {
    const remaining = this.#pduRemaining;
    if (remaining === 0) this.#state = 'pdu-header';
    else if (remaining >= PDV_HEADER_LENGTH) this.#state = 'pdv-header';
    this.#emit('onPdvEnd', () => this.#handler.onPdvEnd());
    if (this.#failed) return;
    if (remaining === 0) {
      this.#emit('onPDataEnd', () => this.#handler.onPDataEnd());
    } else if (remaining < PDV_HEADER_LENGTH) {
      // Fewer bytes left than a PDV header: no valid continuation exists, so say so now.
      const pduEnd = PDU_HEADER_LENGTH + this.#pduLength;
      this.#fail('invalid-pdu-parameter-value', pdvHeaderTruncated(pduEnd - remaining, pduEnd));
    }
  }

  #emit(event: keyof FramerHandler, call: () => void): void {
    try {
      call();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#fail('invalid-pdu-parameter-value', `handler ${event} threw: ${message}`, e);
    }
  }

  #fail(kind: DecodeErrorKind, message: string, handlerError?: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#control = undefined;
    this.#controlFill = 0;
    this.#headerFill = 0;
    const error: FramerError = { kind, message };
    if (handlerError !== undefined) error.handlerError = handlerError;
    // If onError itself throws, the exception reaches the push() caller; the framer is already failed.
    this.#handler.onError(error);
  }
}
