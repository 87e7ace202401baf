// Small DICOM peers for the ops/TLS end-to-end tests and the benchmark, built on src/ul and
// src/dimse: a raw SCU that streams C-STORE data sets of any size (never held in memory, hashed on
// the fly) and a raw SCP that hashes what it receives. Both count every PDU byte they send and
// receive, so tests can compare with the gateway's bytes_total. Transport is any net/TLS socket.
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { PduFramer, type FramerHandler } from '../../src/ul/framer.ts';
import { decodePdu, encodePdu } from '../../src/ul/codec.ts';
import type { AAssociateAc, AAssociateRq, DecodeError, Pdu } from '../../src/ul/types.ts';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  affectedSopInstanceUid,
  commandField,
  decodeCommandSet,
  hasDataSet,
  messageId,
  messageIdBeingRespondedTo,
  status as statusOf,
  commandSetOf,
  encodeCommandSet,
  type CommandSet,
} from '../../src/dimse/command-set.ts';
import { cEchoRsp, cStoreRq, cStoreRsp } from '../../src/dimse/messages.ts';
import { commandToPData, maxFragmentLength } from '../../src/dimse/fragment.ts';
import { encodePDataHeader, encodePdvHeader } from '../../src/ul/pdu/pdata.ts';
import { APPLICATION_CONTEXT, EXPLICIT_VR_LE, IMPLICIT_VR_LE, VERIFICATION } from '../../src/dimse/sop-classes.ts';

export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';

export type PeerSocket = net.Socket | tls.TLSSocket;

/** PDU byte counters; pass one object to many peers to sum over associations. */
export interface ByteCounters {
  bytesIn: number;
  bytesOut: number;
}
export const newCounters = (): ByteCounters => ({ bytesIn: 0, bytesOut: 0 });

// ---- deterministic data sets --------------------------------------------------------------------

const BLOCK = (() => {
  // A fixed pseudo-random 64 KiB block (xorshift), so data sets are incompressible and repeatable.
  const b = Buffer.alloc(65536);
  let x = 0x9e3779b9;
  for (let i = 0; i < b.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
})();

/** Chunks of a `size`-byte data set derived from `seed`; each chunk is a fresh buffer the caller may keep. */
export function* dataChunks(size: number, seed: number, chunkSize = 65536): Generator<Buffer> {
  let offset = 0;
  let n = 0;
  while (offset < size) {
    const len = Math.min(chunkSize, size - offset, BLOCK.length);
    const c = Buffer.from(BLOCK.subarray(0, len));
    // Stamp seed and chunk number so no two chunks (or data sets) are alike.
    if (len >= 8) {
      c.writeUInt32LE(seed >>> 0, 0);
      c.writeUInt32LE(n, 4);
    }
    yield c;
    offset += len;
    n++;
  }
}

export function sha256Of(size: number, seed: number): string {
  const h = createHash('sha256');
  for (const c of dataChunks(size, seed)) h.update(c);
  return h.digest('hex');
}

// ---- PDU plumbing shared by both peers ----------------------------------------------------------

interface PduEvents {
  onPdu(pdu: Pdu, raw: Buffer): void;
  onCommand(pcId: number, cs: CommandSet): void;
  onDataStart?(pcId: number): void;
  onData?(chunk: Buffer): void;
  onDataEnd?(pcId: number): void;
  onError(e: DecodeError): void;
}

/** Cuts a socket's bytes into PDUs and DIMSE messages: commands are collected, data streamed. */
class PduReader implements FramerHandler {
  readonly framer: PduFramer;
  private isCommand = false;
  private isLast = false;
  private pcId = 0;
  private cmd: Buffer[] = [];
  private inData = false;

  constructor(private readonly ev: PduEvents) {
    this.framer = new PduFramer(this);
  }
  onPdu(_type: number, raw: Buffer): void {
    const d = decodePdu(raw);
    if (!d.ok) return this.ev.onError(d.error);
    this.ev.onPdu(d.value, raw);
  }
  onPDataStart(): void {}
  onPdvStart(_len: number, pcId: number, isCommand: boolean, isLast: boolean): void {
    this.pcId = pcId;
    this.isCommand = isCommand;
    this.isLast = isLast;
    if (!isCommand && !this.inData) {
      this.inData = true;
      this.ev.onDataStart?.(pcId);
    }
  }
  onPdvData(chunk: Buffer): void {
    if (this.isCommand) this.cmd.push(Buffer.from(chunk));
    else this.ev.onData?.(chunk);
  }
  onPdvEnd(): void {
    if (!this.isLast) return;
    if (this.isCommand) {
      const d = decodeCommandSet(Buffer.concat(this.cmd));
      this.cmd = [];
      if (!d.ok) return this.ev.onError(d.error);
      this.ev.onCommand(this.pcId, d.value);
    } else {
      this.inData = false;
      this.ev.onDataEnd?.(this.pcId);
    }
  }
  onPDataEnd(): void {}
  onError(e: DecodeError): void {
    this.ev.onError(e);
  }
}

/** Resolves when the socket wants more data (or is gone). */
function drained(socket: PeerSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.removeListener('drain', done);
      socket.removeListener('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Writes with back-pressure: resolves once the socket can take more. */
async function writeAll(socket: PeerSocket, buf: Buffer, counters: ByteCounters[]): Promise<void> {
  for (const c of counters) c.bytesOut += buf.length;
  if (!socket.write(buf) && !socket.destroyed) await drained(socket);
}

function countIn(socket: PeerSocket, counters: ByteCounters[], push: (b: Buffer) => void): void {
  socket.on('data', (b: Buffer) => {
    for (const c of counters) c.bytesIn += b.length;
    push(b);
  });
}

// ---- SCU ----------------------------------------------------------------------------------------

export interface ScuOptions {
  /** Opens the transport (plain or TLS); resolves when it is ready for PDUs. */
  connect: () => Promise<PeerSocket>;
  calledAe: string;
  callingAe: string;
  /** Abstract syntaxes to propose (one context each, Implicit + Explicit VR LE). */
  abstractSyntaxes?: string[];
  /** Maximum Length we can receive (0x51). */
  maxPdu?: number;
  counters?: ByteCounters[];
}

export type AssociateOutcome =
  | { kind: 'accepted'; ac: AAssociateAc }
  | { kind: 'rejected'; result: number; source: number; reason: number }
  | { kind: 'aborted'; source: number; reason: number }
  | { kind: 'closed'; error?: string };

export interface StoreOptions {
  size: number;
  seed: number;
  sopInstanceUid?: string;
  sopClassUid?: string;
  /** Awaited before each chunk is sent (pace, pause, or trigger something mid-transfer). */
  beforeChunk?: (index: number, bytesSent: number) => Promise<void> | void;
  chunkSize?: number;
  /** Hash what is sent (default true; the benchmark turns it off). */
  hash?: boolean;
}

/** A connected SCU. Use RawScu.open(); check `outcome` before sending DIMSE. */
export class RawScu {
  outcome: AssociateOutcome = { kind: 'closed' };
  readonly counters: ByteCounters;
  private contexts = new Map<string, number>(); // abstract syntax -> accepted pc id
  private peerMax = 0;
  private nextId = 1;
  private waiters = new Map<number, (cs: CommandSet) => void>();
  private releaseWaiter: (() => void) | null = null;
  /** Resolves when the transport has closed. */
  readonly closed: Promise<void>;
  /** A-ABORT received after establishment (or null when the socket just closed). */
  abortReceived: { source: number; reason: number } | null = null;
  private associated!: (o: AssociateOutcome) => void;
  private readonly all: ByteCounters[];
  /** Our TCP port, kept after close (audit lines and /api rows name the peer by it). */
  readonly localPort: number;

  private constructor(
    readonly socket: PeerSocket,
    private readonly o: ScuOptions,
  ) {
    this.counters = newCounters();
    this.localPort = socket.localPort ?? 0;
    this.all = [this.counters, ...(o.counters ?? [])];
    const reader = new PduReader({
      onPdu: (pdu) => this.onPdu(pdu),
      onCommand: (_pc, cs) => {
        const id = messageIdBeingRespondedTo(cs) ?? -1;
        const w = this.waiters.get(id);
        this.waiters.delete(id);
        w?.(cs);
      },
      onError: () => socket.destroy(),
    });
    countIn(socket, this.all, (b) => reader.framer.push(b));
    socket.on('error', () => {});
    this.closed = new Promise((r) =>
      socket.once('close', () => {
        this.associated?.({ kind: 'closed' });
        for (const w of this.waiters.values()) w(commandSetOf([[TAG.Status, 0xffff]]));
        this.waiters.clear();
        this.releaseWaiter?.();
        r();
      }),
    );
  }

  /** Connects and negotiates; throws when the transport cannot be opened. */
  static async open(o: ScuOptions): Promise<RawScu> {
    const socket = await o.connect();
    const scu = new RawScu(socket, o);
    const done = new Promise<AssociateOutcome>((r) => (scu.associated = r));
    const syntaxes = o.abstractSyntaxes ?? [VERIFICATION, SECONDARY_CAPTURE];
    const rq: AAssociateRq = {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: o.calledAe,
      callingAeTitle: o.callingAe,
      applicationContextName: APPLICATION_CONTEXT,
      presentationContexts: syntaxes.map((s, i) => ({ id: 2 * i + 1, abstractSyntax: s, transferSyntaxes: [EXPLICIT_VR_LE, IMPLICIT_VR_LE] })),
      userInformation: { maxLength: o.maxPdu ?? 65536, implementationClassUid: '1.2.826.0.1.3680043.10.1234.1', implementationVersionName: 'OPS_SCU', roleSelections: [], otherItems: [] },
    };
    void writeAll(socket, encodePdu(rq), scu.all);
    scu.outcome = await done;
    if (scu.outcome.kind === 'accepted') {
      const ac = scu.outcome.ac;
      scu.peerMax = ac.userInformation.maxLength ?? 0;
      for (const pc of ac.presentationContexts) {
        const p = rq.presentationContexts.find((x) => x.id === pc.id);
        if (p && pc.result === 0) scu.contexts.set(p.abstractSyntax, pc.id);
      }
    }
    return scu;
  }

  private onPdu(pdu: Pdu): void {
    switch (pdu.type) {
      case 'A-ASSOCIATE-AC':
        return this.associated({ kind: 'accepted', ac: pdu });
      case 'A-ASSOCIATE-RJ':
        this.associated({ kind: 'rejected', result: pdu.result, source: pdu.source, reason: pdu.reason });
        this.socket.end();
        return;
      case 'A-ABORT':
        this.abortReceived = { source: pdu.source, reason: pdu.reason };
        this.associated({ kind: 'aborted', source: pdu.source, reason: pdu.reason });
        this.socket.destroy();
        return;
      case 'A-RELEASE-RP':
        this.releaseWaiter?.();
        this.releaseWaiter = null;
        this.socket.end();
        return;
      case 'A-RELEASE-RQ':
        // Not expected from an SCP here; answer politely.
        void writeAll(this.socket, encodePdu({ type: 'A-RELEASE-RP' }), this.all);
        return;
      default:
        return;
    }
  }

  get accepted(): boolean {
    return this.outcome.kind === 'accepted';
  }

  contextFor(abstractSyntax: string): number {
    const pc = this.contexts.get(abstractSyntax);
    if (pc === undefined) throw new Error(`no accepted presentation context for ${abstractSyntax}`);
    return pc;
  }

  private response(id: number): Promise<CommandSet> {
    return new Promise((r) => this.waiters.set(id, r));
  }

  private async sendCommand(pcId: number, bytes: Buffer): Promise<void> {
    for (const pdu of commandToPData(pcId, bytes, this.peerMax)) await writeAll(this.socket, pdu, this.all);
  }

  /** C-ECHO; resolves with the status (0xFFFF when the association died). */
  async echo(): Promise<number> {
    const pc = this.contextFor(VERIFICATION);
    const id = this.nextId++;
    const rsp = this.response(id);
    const cmd = encodeCommandSet(
      commandSetOf([
        [TAG.AffectedSOPClassUID, VERIFICATION],
        [TAG.CommandField, COMMAND_FIELD['C-ECHO-RQ']],
        [TAG.MessageID, id],
        [TAG.CommandDataSetType, 0x0101],
      ]),
    );
    await this.sendCommand(pc, cmd);
    return statusOf(await rsp) ?? 0xffff;
  }

  /** C-STORE of a streamed data set; resolves with the status and the SHA-256 of what was sent. */
  async store(s: StoreOptions): Promise<{ status: number; sha256: string; bytes: number }> {
    const sopClass = s.sopClassUid ?? SECONDARY_CAPTURE;
    const pc = this.contextFor(sopClass);
    const id = this.nextId++;
    const rsp = this.response(id);
    await this.sendCommand(pc, cStoreRq({ messageId: id, affectedSopClassUid: sopClass, affectedSopInstanceUid: s.sopInstanceUid ?? `1.2.3.4.${s.seed}` }));
    const h = createHash('sha256');
    const maxFrag = this.peerMax ? maxFragmentLength(this.peerMax) : 65536;
    let sent = 0;
    let i = 0;
    for (const chunk of dataChunks(s.size, s.seed, Math.min(s.chunkSize ?? 65536, maxFrag))) {
      if (s.beforeChunk) await s.beforeChunk(i, sent);
      if (this.socket.destroyed) break;
      if (s.hash !== false) h.update(chunk);
      for (let off = 0; off < chunk.length; off += maxFrag) {
        const frag = chunk.subarray(off, Math.min(chunk.length, off + maxFrag));
        const last = sent + off + frag.length === s.size;
        const head = Buffer.concat([encodePDataHeader(frag.length + 6), encodePdvHeader(frag.length, pc, false, last)]);
        void writeAll(this.socket, head, this.all);
        await writeAll(this.socket, frag, this.all);
      }
      sent += chunk.length;
      i++;
    }
    const st = statusOf(await rsp) ?? 0xffff;
    return { status: st, sha256: h.digest('hex'), bytes: sent };
  }

  /** A-RELEASE-RQ, wait for RP, close. */
  async release(): Promise<void> {
    if (this.socket.destroyed) return;
    const rp = new Promise<void>((r) => (this.releaseWaiter = r));
    await writeAll(this.socket, encodePdu({ type: 'A-RELEASE-RQ' }), this.all);
    await rp;
    await this.closed;
  }

  async abort(): Promise<void> {
    if (this.socket.destroyed) return;
    await writeAll(this.socket, encodePdu({ type: 'A-ABORT', source: 0, reason: 0 }), this.all);
    this.socket.end();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---- transports ---------------------------------------------------------------------------------

export function tcpConnect(port: number): () => Promise<PeerSocket> {
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.setNoDelay(true);
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
}

export function tlsConnect(port: number, opts: tls.ConnectionOptions): () => Promise<PeerSocket> {
  return () =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => {
        s.setNoDelay(true);
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
}

// ---- SCP ----------------------------------------------------------------------------------------

export interface ReceivedStore {
  sopInstanceUid: string;
  bytes: number;
  sha256: string;
}

export interface ScpAssociation {
  calledAe: string;
  callingAe: string;
  peerCert: tls.PeerCertificate | null;
  released: boolean;
  aborted: boolean;
}

export interface ScpOptions {
  /** TLS server options (a TLS node); plain TCP without. */
  tls?: tls.TlsOptions;
  /** Maximum Length we advertise (0x51). */
  maxPdu?: number;
  /** Answer every RQ with this A-ASSOCIATE-RJ. */
  reject?: { result: number; source: number; reason: number };
  storeStatus?: number;
  /** Hash received data sets (default true; the benchmark turns it off). */
  hash?: boolean;
}

export interface RawScp {
  port: number;
  counters: ByteCounters;
  associations: ScpAssociation[];
  stores: ReceivedStore[];
  echoes: number;
  /** Sockets currently open. */
  readonly open: number;
  stop(): Promise<void>;
}

export async function startRawScp(o: ScpOptions = {}): Promise<RawScp> {
  const sockets = new Set<PeerSocket>();
  const scp: RawScp = {
    port: 0,
    counters: newCounters(),
    associations: [],
    stores: [],
    echoes: 0,
    get open() {
      return sockets.size;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const maxPdu = o.maxPdu ?? 65536;
  const handle = (socket: PeerSocket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const all = [scp.counters];
    const send = (b: Buffer) => void writeAll(socket, b, all);
    let assoc: ScpAssociation | null = null;
    let peerMax = 0;
    let pending: { pcId: number; cs: CommandSet } | null = null;
    let hash = createHash('sha256');
    let bytes = 0;
    const answerStore = (pcId: number, cs: CommandSet) => {
      scp.stores.push({ sopInstanceUid: affectedSopInstanceUid(cs) ?? '', bytes, sha256: hash.digest('hex') });
      hash = createHash('sha256');
      bytes = 0;
      const rsp = cStoreRsp({
        messageIdBeingRespondedTo: messageId(cs) ?? 0,
        affectedSopClassUid: affectedSopClassUid(cs) ?? '',
        affectedSopInstanceUid: affectedSopInstanceUid(cs) ?? '',
        status: o.storeStatus ?? 0,
      });
      for (const p of commandToPData(pcId, rsp, peerMax)) send(p);
    };
    const reader = new PduReader({
      onPdu: (pdu) => {
        switch (pdu.type) {
          case 'A-ASSOCIATE-RQ': {
            const cert = socket instanceof tls.TLSSocket ? socket.getPeerCertificate() : null;
            assoc = { calledAe: pdu.calledAeTitle, callingAe: pdu.callingAeTitle, peerCert: cert && cert.subject ? cert : null, released: false, aborted: false };
            scp.associations.push(assoc);
            if (o.reject) {
              send(encodePdu({ type: 'A-ASSOCIATE-RJ', ...o.reject }));
              socket.end();
              return;
            }
            peerMax = pdu.userInformation.maxLength ?? 0;
            const echo = Buffer.alloc(64);
            echo.write(pdu.calledAeTitle.padEnd(16), 0, 'latin1');
            echo.write(pdu.callingAeTitle.padEnd(16), 16, 'latin1');
            const ac: AAssociateAc = {
              type: 'A-ASSOCIATE-AC',
              protocolVersion: 1,
              reservedEcho: pdu.reservedEcho ?? echo,
              applicationContextName: APPLICATION_CONTEXT,
              presentationContexts: pdu.presentationContexts.map((pc) => ({ id: pc.id, result: 0, transferSyntax: pc.transferSyntaxes[0] ?? IMPLICIT_VR_LE })),
              userInformation: { maxLength: maxPdu, implementationClassUid: '1.2.826.0.1.3680043.10.1234.2', implementationVersionName: 'OPS_SCP', roleSelections: [], otherItems: [] },
            };
            send(encodePdu(ac));
            return;
          }
          case 'A-RELEASE-RQ':
            if (assoc) assoc.released = true;
            send(encodePdu({ type: 'A-RELEASE-RP' }));
            return;
          case 'A-ABORT':
            if (assoc) assoc.aborted = true;
            socket.destroy();
            return;
          default:
            return;
        }
      },
      onCommand: (pcId, cs) => {
        const field = commandField(cs);
        if (field === COMMAND_FIELD['C-ECHO-RQ']) {
          scp.echoes++;
          for (const p of commandToPData(pcId, cEchoRsp({ messageIdBeingRespondedTo: messageId(cs) ?? 0 }), peerMax)) send(p);
        } else if (field === COMMAND_FIELD['C-STORE-RQ']) {
          if (hasDataSet(cs)) pending = { pcId, cs };
          else answerStore(pcId, cs);
        }
      },
      onData: (chunk) => {
        if (o.hash !== false) hash.update(chunk);
        bytes += chunk.length;
      },
      onDataEnd: () => {
        if (pending) answerStore(pending.pcId, pending.cs);
        pending = null;
      },
      onError: () => {
        send(encodePdu({ type: 'A-ABORT', source: 2, reason: 6 }));
        socket.destroy();
      },
    });
    countIn(socket, all, (b) => reader.framer.push(b));
  };
  const server: net.Server = o.tls
    ? tls.createServer(o.tls, (s) => handle(s)).on('tlsClientError', () => {})
    : net.createServer((s) => handle(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  scp.port = (server.address() as net.AddressInfo).port;
  return scp;
}
