// DIMSE message assembly for ONE direction of ONE association, PS3.8 Annex E (dicom-facts 1.8, 5.4-5.6).
//
// Each message is a command set (PDVs with control bit 0 = 1) optionally followed by a data set
// (bit 0 = 0); bit 1 marks the last fragment of each. Annex E.1 rules enforced here:
//   - the command comes first and is complete before any data fragment;
//   - all fragments of a message use the same presentation context id;
//   - no interleaving: a new message starts only after the previous one's last fragment;
//   - a data set follows exactly when the command's Command Data Set Type is not 0x0101 (PS3.7 E.1-1).
// Command fragments are reassembled (capped) because a command may split anywhere, even inside an
// element header (E.1 Note 2), so it can only be parsed whole. Data fragments are NOT buffered: the
// relay streams them and only needs to know where the data set ends.
//
// Two ways in: `feed(pdv)` for a whole PDV, or `pdvStart` / `pdvData`* / `pdvEnd` when the framer
// hands over a PDV in chunks. Errors are values; after one the assembler stays failed (the relay
// aborts the association, PS3.8 9.3.1: A-ABORT source 2, reason 6 invalid-PDU-parameter-value).
import { decodeCommandSet, hasDataSet } from './command-set.ts';
import type { CommandSet } from './command-set.ts';
import type { Pdv } from '../ul/types.ts';

export type AssemblerErrorKind =
  | 'pdv-out-of-order' // data before its command, command while a data set is due or running
  | 'pc-id-changed' // a fragment on another presentation context than the message's first
  | 'command-too-large' // command set longer than maxCommandLength
  | 'unexpected-data-set' // data fragment after a command that announced none (0000,0800) = 0x0101
  | 'invalid-command-set' // the reassembled command set does not decode
  | 'pdv-length-mismatch' // chunked input: bytes given differ from the PDV length announced
  | 'odd-fragment-length' // only with { rejectOddFragments: true }; PS3.8 E.1 wants even fragments
  | 'assembler-failed'; // a call after an earlier error

export interface AssemblerError {
  kind: 'error';
  error: AssemblerErrorKind;
  message: string;
}

export type AssemblerEvent =
  | { kind: 'command'; pcId: number; bytes: Buffer; command: CommandSet; hasDataSet: boolean }
  | { kind: 'data-end'; pcId: number }
  | AssemblerError;

/** Where the direction is between messages. 'idle' is the only state in which a release is clean
 *  (dicom-facts 5.6: a partial message followed by something else is the fo-dicom#1359 bug). */
export type AssemblerState = 'idle' | 'command' | 'awaiting-data' | 'data' | 'failed';

export interface AssemblerOptions {
  /** Cap on a reassembled command set. Real ones are < 1 KiB; 64 KiB leaves room for N-service
   *  Attribute Identifier Lists while bounding memory per association. */
  maxCommandLength?: number;
  /** Reject odd-length fragments (PS3.8 E.1). Off by default: a relay forwards what it does not
   *  have to judge, but a strict front door may want it (fo-dicom#284). */
  rejectOddFragments?: boolean;
}

export const DEFAULT_MAX_COMMAND_LENGTH = 64 * 1024;

export class MessageAssembler {
  private readonly maxCommandLength: number;
  private readonly rejectOddFragments: boolean;
  private st: AssemblerState = 'idle';
  private failure: AssemblerError | null = null;
  /** PC id of the message in progress (valid unless idle). */
  private pcId = 0;
  private afterCommandWithoutData = false;
  private commandChunks: Buffer[] = [];
  private commandLength = 0;
  /** The PDV being received through pdvStart/pdvData/pdvEnd. */
  private current: { isCommand: boolean; isLast: boolean; length: number; received: number } | null = null;

  constructor(options: AssemblerOptions = {}) {
    this.maxCommandLength = options.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
    this.rejectOddFragments = options.rejectOddFragments ?? false;
  }

  get state(): AssemblerState {
    return this.st;
  }

  /** True between messages: nothing half-received in this direction. */
  get idle(): boolean {
    return this.st === 'idle' && this.current === null;
  }

  /** PC id of the message in progress, or null when idle or failed. */
  get presentationContextId(): number | null {
    return this.st === 'idle' || this.st === 'failed' ? null : this.pcId;
  }

  /** A whole PDV (ul/types Pdv). Returns the event it completes, an error, or null. */
  feed(pdv: Pdv): AssemblerEvent | null {
    const e = this.pdvStart(pdv.presentationContextId, pdv.isCommand, pdv.isLast, pdv.data.length);
    if (e) return e;
    const d = this.pdvData(pdv.data);
    if (d) return d;
    return this.pdvEnd();
  }

  /** The header of a PDV has arrived: `length` is the fragment length (item length - 2). Checks order,
   *  PC id and the command cap before any byte of the fragment is accepted. */
  pdvStart(pcId: number, isCommand: boolean, isLast: boolean, length: number): AssemblerError | null {
    if (this.failure) return this.failed();
    if (this.current) return this.fail('pdv-length-mismatch', 'pdvStart before pdvEnd of the previous PDV');
    if (this.rejectOddFragments && length % 2 !== 0) {
      return this.fail('odd-fragment-length', `fragment of ${length} bytes on PC ${pcId}: PS3.8 E.1 requires even lengths`);
    }
    if (this.st !== 'idle' && pcId !== this.pcId) {
      return this.fail('pc-id-changed', `fragment on PC ${pcId} inside a message on PC ${this.pcId} (PS3.8 E.1)`);
    }
    switch (this.st) {
      case 'idle':
        if (!isCommand) {
          // Name the real cause when the previous command said (0000,0800) = 0x0101.
          return this.afterCommandWithoutData
            ? this.fail('unexpected-data-set', `data fragment on PC ${pcId} after a command announcing no data set (0x0101)`)
            : this.fail('pdv-out-of-order', `data fragment on PC ${pcId} with no command before it (PS3.8 E.1)`);
        }
        this.afterCommandWithoutData = false;
        this.pcId = pcId;
        this.st = 'command';
        break;
      case 'command':
        if (!isCommand) return this.fail('pdv-out-of-order', `data fragment on PC ${pcId} before the command's last fragment`);
        break;
      case 'awaiting-data':
        if (isCommand) return this.fail('pdv-out-of-order', `command fragment on PC ${pcId} while the announced data set is due`);
        this.st = 'data';
        break;
      case 'data':
        if (isCommand) return this.fail('pdv-out-of-order', `command fragment on PC ${pcId} inside a data set (no interleaving, PS3.8 E.1)`);
        break;
      default:
        return this.failed();
    }
    if (isCommand && this.commandLength + length > this.maxCommandLength) {
      return this.fail('command-too-large', `command set over ${this.maxCommandLength} bytes on PC ${pcId}`);
    }
    this.current = { isCommand, isLast, length, received: 0 };
    return null;
  }

  /** A chunk of the current PDV's fragment. Command chunks are kept (copied: framer buffers are
   *  reused); data chunks are only counted. */
  pdvData(chunk: Buffer): AssemblerError | null {
    if (this.failure) return this.failed();
    const cur = this.current;
    if (!cur) return this.fail('pdv-length-mismatch', 'pdvData without pdvStart');
    if (cur.received + chunk.length > cur.length) {
      return this.fail('pdv-length-mismatch', `PDV carries more than its announced ${cur.length} bytes`);
    }
    cur.received += chunk.length;
    if (cur.isCommand && chunk.length > 0) {
      this.commandChunks.push(Buffer.from(chunk));
      this.commandLength += chunk.length;
    }
    return null;
  }

  /** The current PDV is complete. Returns the finished command, the end of a data set, or an error. */
  pdvEnd(): AssemblerEvent | null {
    if (this.failure) return this.failed();
    const cur = this.current;
    if (!cur) return this.fail('pdv-length-mismatch', 'pdvEnd without pdvStart');
    if (cur.received !== cur.length) {
      return this.fail('pdv-length-mismatch', `PDV ended after ${cur.received} of ${cur.length} bytes`);
    }
    this.current = null;
    if (!cur.isLast) return null;
    if (!cur.isCommand) {
      this.st = 'idle';
      this.afterCommandWithoutData = false;
      return { kind: 'data-end', pcId: this.pcId };
    }
    const bytes = this.commandChunks.length === 1 ? this.commandChunks[0]! : Buffer.concat(this.commandChunks, this.commandLength);
    this.commandChunks = [];
    this.commandLength = 0;
    const decoded = decodeCommandSet(bytes);
    if (!decoded.ok) return this.fail('invalid-command-set', decoded.error.message);
    const withData = hasDataSet(decoded.value);
    this.st = withData ? 'awaiting-data' : 'idle';
    this.afterCommandWithoutData = !withData;
    return { kind: 'command', pcId: this.pcId, bytes, command: decoded.value, hasDataSet: withData };
  }

  private fail(error: AssemblerErrorKind, message: string): AssemblerError {
    this.failure = { kind: 'error', error, message };
    this.st = 'failed';
    this.current = null;
    this.commandChunks = [];
    this.commandLength = 0;
    return this.failure;
  }

  private failed(): AssemblerError {
    const first = this.failure;
    return { kind: 'error', error: 'assembler-failed', message: `assembler failed earlier: ${first ? first.message : 'unknown'}` };
  }
}
