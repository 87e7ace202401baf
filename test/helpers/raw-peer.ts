// Raw TCP DICOM peers for end-to-end relay tests: they speak PS3.8 with hand-built PDUs (the
// project's own codec) and record every PDU they receive, so tests can assert exact bytes (A-ABORT
// source/reason, A-ASSOCIATE-RJ result/source/reason, AC bytes 10..73) and byte-for-byte data sets.
// RawPeer wraps one connection (either side); rawConnect() dials the gateway; startRawScp() is a
// scripted acceptor that answers C-ECHO, C-STORE, C-FIND and C-MOVE and hashes every data set.
import net from 'node:net';
import { createHash } from 'node:crypto';
import { decodePdu, encodePdu } from '../../src/ul/codec.ts';
import type { AAssociateAc, AAssociateRq, Pdu, PresentationContextRq } from '../../src/ul/types.ts';
import { pDataPdu, toPData } from '../../src/dimse/fragment.ts';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  affectedSopInstanceUid,
  commandField,
  commandSetOf,
  decodeCommandSet,
  encodeCommandSet,
  hasDataSet,
  messageId,
  type CommandSet,
} from '../../src/dimse/command-set.ts';

export const HOST = '127.0.0.1';
export const APP_CONTEXT = '1.2.840.10008.3.1.1.1';
export const VERIFICATION = '1.2.840.10008.1.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
export const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';

export const PDU = { RQ: 0x01, AC: 0x02, RJ: 0x03, PDATA: 0x04, RELEASE_RQ: 0x05, RELEASE_RP: 0x06, ABORT: 0x07 } as const;

/** One complete DIMSE message received: command bytes, data set (hash always, bytes when small). */
export interface DimseMessage {
  pcId: number;
  commandBytes: Buffer;
  command: CommandSet;
  dataLength: number;
  dataSha256: string | null;
  data: Buffer | null; // kept only up to KEEP_DATA_BYTES
}

const KEEP_DATA_BYTES = 1024 * 1024;

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

// ---- PDU builders --------------------------------------------------------------------------------

export interface RqOptions {
  called: string;
  calling: string;
  contexts?: PresentationContextRq[];
  maxLength?: number;
}

export function rqPdu(o: RqOptions): AAssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: o.called,
    callingAeTitle: o.calling,
    applicationContextName: APP_CONTEXT,
    presentationContexts: o.contexts ?? [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
    userInformation: { maxLength: o.maxLength ?? 16384, implementationClassUid: '1.2.826.0.1.3680043.9.7433.1', implementationVersionName: 'RAWPEER', roleSelections: [], otherItems: [] },
  };
}

export function rqBytes(o: RqOptions): Buffer {
  return encodePdu(rqPdu(o));
}

export function abortBytes(source: number, reason: number): Buffer {
  return encodePdu({ type: 'A-ABORT', source, reason });
}

export function rjBytes(result: number, source: number, reason: number): Buffer {
  return encodePdu({ type: 'A-ASSOCIATE-RJ', result, source, reason });
}

/** The AC an acceptor builds for an RQ: `decide` says accept (with a transfer syntax) or a result code. */
export function acFor(rqRaw: Buffer, rq: AAssociateRq, maxLength: number, decide: (pc: PresentationContextRq) => string | number): AAssociateAc {
  return {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    reservedEcho: Buffer.from(rqRaw.subarray(10, 74)),
    applicationContextName: APP_CONTEXT,
    presentationContexts: rq.presentationContexts.map((pc) => {
      const d = decide(pc);
      return typeof d === 'string' ? { id: pc.id, result: 0, transferSyntax: d } : { id: pc.id, result: d, transferSyntax: pc.transferSyntaxes[0] ?? '' };
    }),
    userInformation: { maxLength, implementationClassUid: '1.2.826.0.1.3680043.9.7433.2', implementationVersionName: 'RAWSCP', roleSelections: [], otherItems: [] },
  };
}

// ---- command sets ----------------------------------------------------------------------------------

export function cEchoRq(id: number): Buffer {
  return encodeCommandSet(commandSetOf([[TAG.AffectedSOPClassUID, VERIFICATION], [TAG.CommandField, COMMAND_FIELD['C-ECHO-RQ']], [TAG.MessageID, id], [TAG.CommandDataSetType, 0x0101]]));
}

export function cStoreRq(id: number, sopClass: string, sopInstance: string): Buffer {
  return encodeCommandSet(
    commandSetOf([
      [TAG.AffectedSOPClassUID, sopClass],
      [TAG.CommandField, COMMAND_FIELD['C-STORE-RQ']],
      [TAG.MessageID, id],
      [TAG.Priority, 0],
      [TAG.CommandDataSetType, 0x0001],
      [TAG.AffectedSOPInstanceUID, sopInstance],
    ]),
  );
}

export function cFindRq(id: number): Buffer {
  return encodeCommandSet(
    commandSetOf([[TAG.AffectedSOPClassUID, STUDY_ROOT_FIND], [TAG.CommandField, COMMAND_FIELD['C-FIND-RQ']], [TAG.MessageID, id], [TAG.Priority, 0], [TAG.CommandDataSetType, 0x0001]]),
  );
}

export function cMoveRq(id: number, destination: string, sopClass = STUDY_ROOT_MOVE): Buffer {
  return encodeCommandSet(
    commandSetOf([
      [TAG.AffectedSOPClassUID, sopClass],
      [TAG.CommandField, COMMAND_FIELD['C-MOVE-RQ']],
      [TAG.MessageID, id],
      [TAG.MoveDestination, destination],
      [TAG.Priority, 0],
      [TAG.CommandDataSetType, 0x0001],
    ]),
  );
}

/** A response to `rq` with `status`; `withData` marks that a data set follows. */
export function rspFor(rq: CommandSet, status: number, withData = false): Buffer {
  const field = (commandField(rq) ?? 0) | 0x8000;
  const fields: [number, number | string][] = [
    [TAG.AffectedSOPClassUID, affectedSopClassUid(rq) ?? ''],
    [TAG.CommandField, field],
    [TAG.MessageIDBeingRespondedTo, messageId(rq) ?? 0],
    [TAG.CommandDataSetType, withData ? 0x0001 : 0x0101],
    [TAG.Status, status],
  ];
  const inst = affectedSopInstanceUid(rq);
  if (inst !== undefined) fields.push([TAG.AffectedSOPInstanceUID, inst]);
  return encodeCommandSet(commandSetOf(fields));
}

// ---- Explicit VR Little Endian data sets --------------------------------------------------------------

function evrElement(group: number, element: number, vr: string, value: Buffer): Buffer {
  const v = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]) : value;
  const long = vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT';
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(v.length, 8);
  else h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}

/** A secondary-capture-like Explicit VR LE data set whose total length is about `size` bytes,
 *  random pixel data included. */
export function makeDataSet(size: number, sopInstance: string, seed = 0): Buffer {
  const head = Buffer.concat([
    evrElement(0x0008, 0x0016, 'UI', Buffer.from(SECONDARY_CAPTURE)),
    evrElement(0x0008, 0x0018, 'UI', Buffer.from(sopInstance)),
    evrElement(0x0010, 0x0010, 'PN', Buffer.from(`TEST^SEED${seed}`)),
    evrElement(0x0010, 0x0020, 'LO', Buffer.from(`ID${seed}`)),
  ]);
  const pixelLength = Math.max(2, (size - head.length - 12) & ~1);
  const pixels = Buffer.allocUnsafe(pixelLength);
  // Cheap, seedable pseudo-random bytes (xorshift32): random enough to catch any reordering.
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i + 4 <= pixelLength; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    pixels.writeUInt32LE(x, i);
  }
  if (pixelLength % 4) pixels.writeUInt16LE(x & 0xffff, pixelLength - 2);
  return Buffer.concat([head, evrElement(0x7fe0, 0x0010, 'OB', pixels)]);
}

/** A private OB element (0009,eeee) with `n` random bytes: the unit a paced sender streams. */
export function privateElement(element: number, n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(Math.imul(seed + i, 2654435761) >>> 0, i);
  return evrElement(0x0009, element, 'OB', b);
}

// ---- one connection ------------------------------------------------------------------------------

type Waiter = { match: (pdu: Buffer) => boolean; resolve: (pdu: Buffer) => void; from: number };

export class RawPeer {
  /** Every PDU received, whole, in order (P-DATA included). */
  readonly received: Buffer[] = [];
  readonly messages: DimseMessage[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  /** Set when the remote side sent FIN. */
  gotEnd = false;
  closedAt = 0;
  /** Bytes received so far (progress of a long transfer). */
  bytesIn = 0;
  onPdu: ((pdu: Buffer) => void) | null = null;
  onMessage: ((m: DimseMessage) => void) | null = null;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiters: Waiter[] = [];
  private messageWaiters: ((m: DimseMessage) => void)[] = [];
  private messageCursor = 0;
  // reassembly of the incoming DIMSE message
  private cmdParts: Buffer[] = [];
  private dataHash: ReturnType<typeof createHash> | null = null;
  private dataParts: Buffer[] = [];
  private dataLength = 0;
  private pending: { pcId: number; commandBytes: Buffer; command: CommandSet } | null = null;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => {
      this.gotEnd = true;
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  private onData(d: Buffer): void {
    this.bytesIn += d.length;
    this.chunks.push(d);
    this.buffered += d.length;
    for (;;) {
      if (this.buffered < 6) return;
      const head = this.chunks[0]!.length >= 6 ? this.chunks[0]! : Buffer.concat(this.chunks);
      if (head !== this.chunks[0]) this.chunks = [head];
      const total = 6 + head.readUInt32BE(2);
      if (this.buffered < total) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const pdu = all.subarray(0, total);
      const rest = all.subarray(total);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.handle(pdu);
    }
  }

  private handle(pdu: Buffer): void {
    this.received.push(pdu);
    if (pdu[0] === PDU.PDATA) this.reassemble(pdu);
    this.onPdu?.(pdu);
    this.waiters = this.waiters.filter((w) => {
      for (let i = w.from; i < this.received.length; i++) {
        if (w.match(this.received[i]!)) {
          w.resolve(this.received[i]!);
          return false;
        }
      }
      w.from = this.received.length;
      return true;
    });
  }

  private reassemble(pdu: Buffer): void {
    let off = 6;
    while (off + 6 <= pdu.length) {
      const len = pdu.readUInt32BE(off);
      const pcId = pdu[off + 4]!;
      const mch = pdu[off + 5]!;
      const frag = pdu.subarray(off + 6, off + 4 + len);
      off += 4 + len;
      if (mch & 1) {
        this.cmdParts.push(Buffer.from(frag));
        if (mch & 2) {
          const commandBytes = Buffer.concat(this.cmdParts);
          this.cmdParts = [];
          const r = decodeCommandSet(commandBytes);
          if (!r.ok) throw new Error(`raw peer: bad command set: ${r.error.message}`);
          this.pending = { pcId, commandBytes, command: r.value };
          if (!hasDataSet(r.value)) this.complete(null);
          else {
            this.dataHash = createHash('sha256');
            this.dataParts = [];
            this.dataLength = 0;
          }
        }
      } else {
        this.dataHash?.update(frag);
        this.dataLength += frag.length;
        if (this.dataLength <= KEEP_DATA_BYTES) this.dataParts.push(Buffer.from(frag));
        if (mch & 2) this.complete(this.dataHash!.digest('hex'));
      }
    }
  }

  private complete(dataSha256: string | null): void {
    const p = this.pending!;
    const m: DimseMessage = {
      ...p,
      dataLength: dataSha256 === null ? 0 : this.dataLength,
      dataSha256,
      data: dataSha256 !== null && this.dataLength <= KEEP_DATA_BYTES ? Buffer.concat(this.dataParts) : null,
    };
    this.pending = null;
    this.dataHash = null;
    this.dataParts = [];
    this.messages.push(m);
    this.onMessage?.(m);
    const w = this.messageWaiters.shift();
    if (w) {
      this.messageCursor++;
      w(m);
    }
  }

  /** Resolves with the first PDU received (from the start) that matches and was not yet consumed by index. */
  waitPdu(match: (pdu: Buffer) => boolean, timeoutMs = 5000, what = 'PDU'): Promise<Buffer> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got types [${this.received.map((p) => p[0]).join(',')}]`)), timeoutMs);
      this.waiters.push({
        match,
        from: this.received.length,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  waitType(type: number, timeoutMs = 5000): Promise<Buffer> {
    return this.waitPdu((p) => p[0] === type, timeoutMs, `PDU type ${type}`);
  }

  /** The next DIMSE message not yet taken by nextMessage(). */
  nextMessage(timeoutMs = 10000): Promise<DimseMessage> {
    if (this.messageCursor < this.messages.length) return Promise.resolve(this.messages[this.messageCursor++]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for a DIMSE message`)), timeoutMs);
      this.messageWaiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  /** Writes bytes; resolves once the socket can take more (back-pressure). */
  async send(buf: Buffer): Promise<void> {
    if (this.socket.destroyed) return;
    if (!this.socket.write(buf)) await new Promise<void>((r) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        r();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  sendPdu(pdu: Pdu): Promise<void> {
    return this.send(encodePdu(pdu));
  }

  async sendCommand(pcId: number, command: Buffer, maxPdu: number): Promise<void> {
    for (const p of toPData(pcId, command, true, maxPdu)) await this.send(p);
  }

  async sendData(pcId: number, data: Buffer, maxPdu: number): Promise<void> {
    for (const p of toPData(pcId, data, false, maxPdu)) await this.send(p);
  }

  /** A-ABORT PDUs received, as [source, reason]. */
  aborts(): [number, number][] {
    return this.received.filter((p) => p[0] === PDU.ABORT).map((p) => [p[8]!, p[9]!]);
  }

  types(): number[] {
    return this.received.map((p) => p[0]!);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Closes politely, or destroys if the peer does not finish within `ms`. */
  async close(ms = 1000): Promise<void> {
    if (this.isClosed) return;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), ms);
    await this.closed;
    clearTimeout(t);
  }
}

/** Connects to 127.0.0.1:port; `localAddress` (another loopback address) tests source checks. */
export function rawConnect(port: number, localAddress?: string): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port, ...(localAddress ? { localAddress } : {}) }, () => {
      s.removeListener('error', reject);
      resolve(new RawPeer(s));
    });
    s.once('error', reject);
  });
}

/** Connects, sends an A-ASSOCIATE-RQ and waits for the answer (AC, RJ or A-ABORT). */
export async function rawAssociate(
  port: number,
  o: RqOptions & { localAddress?: string },
): Promise<{ peer: RawPeer; rq: Buffer; answer: Buffer; ac: AAssociateAc | null }> {
  const peer = await rawConnect(port, o.localAddress);
  const rq = rqBytes(o);
  await peer.send(rq);
  const answer = await peer.waitPdu((p) => p[0] === PDU.AC || p[0] === PDU.RJ || p[0] === PDU.ABORT, 5000, 'AC/RJ/ABORT');
  let ac: AAssociateAc | null = null;
  if (answer[0] === PDU.AC) {
    const d = decodePdu(answer);
    if (!d.ok || d.value.type !== 'A-ASSOCIATE-AC') throw new Error('undecodable AC');
    ac = d.value;
  }
  return { peer, rq, answer, ac };
}

// ---- scripted acceptor ---------------------------------------------------------------------------

export type ScpAnswer =
  | { accept: { maxLength: number; decide?: (pc: PresentationContextRq) => string | number; echo?: Buffer } }
  | { reject: [number, number, number] }
  | { abort: [number, number] }
  | 'silent'
  | 'close';

export interface RawScpOptions {
  answer?: (rq: AAssociateRq) => ScpAnswer;
  /** C-FIND: number of pending responses before success. */
  findPending?: number;
  /** Called for each DIMSE request; return true when the test answers it itself. */
  onRequest?: (peer: RawPeer, m: DimseMessage) => boolean;
  /** Answer A-RELEASE-RQ with A-RELEASE-RP automatically (default true). */
  autoRelease?: boolean;
}

export interface RawScp {
  port: number;
  connections: RawPeer[];
  /** Raw A-ASSOCIATE-RQ PDUs received, with their decoded form. */
  requests: { raw: Buffer; rq: AAssociateRq }[];
  /** Every DIMSE request with its data set, over all connections. */
  received: DimseMessage[];
  /** The AC max length it advertised on each connection (what the relay may send it). */
  nextConnection(timeoutMs?: number): Promise<RawPeer>;
  stop(): Promise<void>;
}

export const acceptAll = (maxLength = 16384): ScpAnswer => ({ accept: { maxLength } });

export async function startRawScp(opts: RawScpOptions = {}): Promise<RawScp> {
  const connections: RawPeer[] = [];
  const requests: { raw: Buffer; rq: AAssociateRq }[] = [];
  const received: DimseMessage[] = [];
  const connWaiters: ((p: RawPeer) => void)[] = [];
  let connCursor = 0;
  const server = net.createServer((socket) => {
    const peer = new RawPeer(socket);
    connections.push(peer);
    let peerMax = 0; // what the requestor (the gateway) can receive
    peer.onPdu = (pdu) => {
      if (pdu[0] === PDU.RQ) {
        const d = decodePdu(pdu);
        if (!d.ok || d.value.type !== 'A-ASSOCIATE-RQ') throw new Error('raw SCP: undecodable RQ');
        const rq = d.value;
        requests.push({ raw: pdu, rq });
        peerMax = rq.userInformation.maxLength ?? 0;
        const a = (opts.answer ?? (() => acceptAll()))(rq);
        if (a === 'silent') return;
        if (a === 'close') return void socket.end();
        if ('abort' in a) {
          void peer.send(abortBytes(...a.abort)).then(() => socket.end());
          return;
        }
        if ('reject' in a) {
          void peer.send(rjBytes(...a.reject)).then(() => socket.end());
          return;
        }
        const decide = a.accept.decide ?? ((pc: PresentationContextRq) => pc.transferSyntaxes[0]!);
        const ac = acFor(pdu, rq, a.accept.maxLength, decide);
        // `echo` replaces AC bytes 10..73, as peers that do not echo the RQ do (dicom-facts 5.1).
        if (a.accept.echo) ac.reservedEcho = a.accept.echo;
        void peer.sendPdu(ac);
      } else if (pdu[0] === PDU.RELEASE_RQ && opts.autoRelease !== false) {
        void peer.send(encodePdu({ type: 'A-RELEASE-RP' }));
      } else if (pdu[0] === PDU.ABORT) {
        socket.destroy();
      }
    };
    peer.onMessage = (m) => {
      received.push(m);
      if (opts.onRequest?.(peer, m)) return;
      void answerRequest(peer, m, peerMax, opts.findPending ?? 2);
    };
    const w = connWaiters.shift();
    if (w) {
      connCursor++;
      w(peer);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    requests,
    received,
    nextConnection(timeoutMs = 5000) {
      if (connCursor < connections.length) return Promise.resolve(connections[connCursor++]!);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('raw SCP: no connection')), timeoutMs);
        connWaiters.push((p) => {
          clearTimeout(t);
          resolve(p);
        });
      });
    },
    async stop() {
      for (const c of connections) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Default SCP behaviour: success for C-ECHO/C-STORE/C-MOVE; C-FIND: `pending` matches then success. */
async function answerRequest(peer: RawPeer, m: DimseMessage, maxPdu: number, pending: number): Promise<void> {
  const field = commandField(m.command) ?? 0;
  if (field & 0x8000) return;
  if (field === COMMAND_FIELD['C-FIND-RQ']) {
    for (let i = 0; i < pending; i++) {
      await peer.sendCommand(m.pcId, rspFor(m.command, 0xff00, true), maxPdu);
      await peer.sendData(m.pcId, evrElement(0x0010, 0x0020, 'LO', Buffer.from(`PAT${i}`)), maxPdu);
    }
  }
  await peer.sendCommand(m.pcId, rspFor(m.command, 0x0000), maxPdu);
}

/** Polls `cond` until true or throws after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A C-STORE that keeps streaming data fragments (one private element every `intervalMs`) until
 *  finish() is called: the healthy association that must survive other callers' bad input. */
export interface PacedStore {
  /** Data set bytes sent so far. */
  sent(): number;
  /** Sends the last fragment, waits for the C-STORE-RSP; resolves with the data set's hash, length and status. */
  finish(): Promise<{ sha: string; length: number; status: number | undefined }>;
}

export async function pacedStore(peer: RawPeer, pcId: number, sendMax: number, intervalMs = 15, elementBytes = 8000): Promise<PacedStore> {
  const uid = '1.2.826.0.1.3680043.9.7433.99.1';
  const hash = createHash('sha256');
  let length = 0;
  let stopped = false;
  const frag = sendMax === 0 ? Infinity : (sendMax - 6) & ~1;
  const write = async (bytes: Buffer, last: boolean) => {
    hash.update(bytes);
    length += bytes.length;
    let off = 0;
    do {
      const end = Math.min(bytes.length, off + frag);
      await peer.send(pDataPdu(pcId, false, last && end === bytes.length, bytes.subarray(off, end)));
      off = end;
    } while (off < bytes.length);
  };
  await peer.sendCommand(pcId, cStoreRq(1, SECONDARY_CAPTURE, uid), sendMax);
  await write(Buffer.concat([evrElement(0x0008, 0x0016, 'UI', Buffer.from(SECONDARY_CAPTURE)), evrElement(0x0008, 0x0018, 'UI', Buffer.from(uid))]), false);
  let element = 0x1000;
  const loop = (async () => {
    while (!stopped && !peer.isClosed) {
      await write(privateElement(element++, elementBytes, element), false);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    sent: () => length,
    async finish() {
      stopped = true;
      await loop;
      await write(privateElement(element++, elementBytes, element), true);
      const rsp = await peer.nextMessage(10000);
      return { sha: hash.digest('hex'), length, status: rsp.command ? commandStatus(rsp.command) : undefined };
    },
  };
}

function commandStatus(cs: CommandSet): number | undefined {
  const el = cs.elements.find((e) => e.tag === TAG.Status);
  return el ? el.value.readUInt16LE(0) : undefined;
}
