// A fake legacy Q/R archive for the C-MOVE/C-GET across NAT tests, on the project's own UL codec
// (RawPeer) and DIMSE builders. It holds a few synthetic data sets per study in memory and answers
// C-MOVE-RQ the way dcmqrscp does: it looks the Move Destination up in its own AE table (the site
// only configured the gateway there), opens a NEW association to that address as storage SCU,
// sends one C-STORE-RQ per instance (Move Originator AE title and Message ID filled per `originator`),
// a pending C-MOVE-RSP with counts after each, releases, then the final C-MOVE-RSP. It knows no C-GET.
// Everything it sees and does is recorded, so tests can check what the legacy side experienced.
import net from 'node:net';
import { decodePdu, encodePdu } from '../../src/ul/codec.ts';
import type { AAssociateRq, PresentationContextRq } from '../../src/ul/types.ts';
import { toPData } from '../../src/dimse/fragment.ts';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  commandField,
  errorComment,
  getUint16,
  messageId,
  messageIdBeingRespondedTo,
  moveDestination,
  status as statusOf,
  type CommandSet,
} from '../../src/dimse/command-set.ts';
import { cEchoRsp, cMoveRsp, cStoreRq } from '../../src/dimse/messages.ts';
import { statusClass } from '../../src/dimse/status.ts';
import { MOVE_CLASSES, VERIFICATION } from '../../src/dimse/sop-classes.ts';
import { APP_CONTEXT, EXPLICIT_LE, HOST, IMPLICIT_LE, PDU, RawPeer, acFor, rawConnect, sha256, type DimseMessage } from './raw-peer.ts';

export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
export const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';

// ---- synthetic instances ----------------------------------------------------------------------

export interface ArchiveInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  /** The data set as stored (Explicit VR Little Endian), sent byte for byte. */
  data: Buffer;
  sha256: string;
}

function element(group: number, el: number, vr: string, value: Buffer, explicit: boolean): Buffer {
  const v = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]) : value;
  if (!explicit) {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(el, 2);
    h.writeUInt32LE(v.length, 4);
    return Buffer.concat([h, v]);
  }
  const long = vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT';
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(el, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(v.length, 8);
  else h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}

/** One study of `sizes.length` instances; pixel bytes are seeded pseudo-random, so every data set
 *  differs. SOP classes are cycled from `sopClasses`. */
export function makeStudy(studyUid: string, sizes: number[], seed: number, sopClasses: string[] = [SECONDARY_CAPTURE]): ArchiveInstance[] {
  return sizes.map((size, i) => {
    const sopClassUid = sopClasses[i % sopClasses.length]!;
    const sopInstanceUid = `${studyUid}.${i + 1}`;
    const head = Buffer.concat([
      element(0x0008, 0x0016, 'UI', Buffer.from(sopClassUid), true),
      element(0x0008, 0x0018, 'UI', Buffer.from(sopInstanceUid), true),
      element(0x0010, 0x0020, 'LO', Buffer.from(`PAT${seed}`), true),
      element(0x0020, 0x000d, 'UI', Buffer.from(studyUid), true),
    ]);
    const pixels = Buffer.alloc(Math.max(2, (size - head.length - 12) & ~1));
    let x = (seed * 7919 + i * 104729 + 1) >>> 0 || 1;
    for (let o = 0; o + 4 <= pixels.length; o += 4) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      pixels.writeUInt32LE(x, o);
    }
    const data = Buffer.concat([head, element(0x7fe0, 0x0010, 'OB', pixels, true)]);
    return { sopClassUid, sopInstanceUid, studyUid, data, sha256: sha256(data) };
  });
}

/** Q/R identifier: Query/Retrieve Level STUDY and the Study Instance UID, in the given transfer syntax. */
export function studyIdentifier(studyUid: string, transferSyntax = IMPLICIT_LE): Buffer {
  const explicit = transferSyntax !== IMPLICIT_LE;
  return Buffer.concat([element(0x0008, 0x0052, 'CS', Buffer.from('STUDY'), explicit), element(0x0020, 0x000d, 'UI', Buffer.from(studyUid), explicit)]);
}

/** Top-level string elements of a little-endian data set (enough for identifiers). */
export function readStrings(data: Buffer, transferSyntax: string): Map<number, string> {
  const out = new Map<number, string>();
  const explicit = transferSyntax !== IMPLICIT_LE;
  let off = 0;
  while (off + 8 <= data.length) {
    const tag = ((data.readUInt16LE(off) << 16) | data.readUInt16LE(off + 2)) >>> 0;
    let len: number;
    let head = 8;
    if (!explicit) len = data.readUInt32LE(off + 4);
    else {
      const vr = data.toString('latin1', off + 4, off + 6);
      if (['OB', 'OW', 'UN', 'SQ', 'UT', 'UC', 'UR', 'OD', 'OF', 'OL', 'OV', 'SV', 'UV'].includes(vr)) {
        len = data.readUInt32LE(off + 8);
        head = 12;
      } else len = data.readUInt16LE(off + 6);
    }
    out.set(tag, data.toString('latin1', off + head, off + head + len).replace(/[\0 ]+$/, ''));
    off += head + len;
  }
  return out;
}

// ---- the archive's outgoing storage association -------------------------------------------------

export type SubAssociationOutcome = { kind: 'accepted' } | { kind: 'rejected'; result: number; source: number; reason: number } | { kind: 'aborted' } | { kind: 'failed'; error: string };

/** The archive as storage SCU: one association to a move destination. */
export class SubAssociation {
  private readonly contexts = new Map<string, number>(); // SOP class -> accepted pc id
  private peerMax = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, (cs: CommandSet) => void>();

  private constructor(
    readonly peer: RawPeer | null,
    readonly outcome: SubAssociationOutcome,
  ) {
    peer?.closed.then(() => {
      for (const w of this.waiting.values()) w({ elements: [] });
      this.waiting.clear();
    });
  }

  /** Connects to 127.0.0.1:port and proposes one context per SOP class, Explicit VR LE only (what it stores). */
  static async open(port: number, callingAe: string, calledAe: string, sopClasses: string[], maxLength: number): Promise<SubAssociation> {
    let peer: RawPeer;
    try {
      peer = await rawConnect(port);
    } catch (err) {
      return new SubAssociation(null, { kind: 'failed', error: (err as Error).message });
    }
    const classes = [...new Set(sopClasses)];
    const rq: AAssociateRq = {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: calledAe,
      callingAeTitle: callingAe,
      applicationContextName: APP_CONTEXT,
      presentationContexts: classes.map((c, i) => ({ id: 2 * i + 1, abstractSyntax: c, transferSyntaxes: [EXPLICIT_LE] })),
      userInformation: { maxLength, implementationClassUid: '1.2.826.0.1.3680043.9.7433.3', implementationVersionName: 'FAKE_ARCHIVE', roleSelections: [], otherItems: [] },
    };
    await peer.sendPdu(rq);
    const answer = await Promise.race([
      peer.waitPdu((p) => p[0] === PDU.AC || p[0] === PDU.RJ || p[0] === PDU.ABORT, 5000, 'AC/RJ/ABORT').catch(() => null),
      peer.closed.then(() => null),
    ]);
    if (answer === null) {
      peer.destroy();
      return new SubAssociation(null, { kind: 'failed', error: 'closed before an answer' });
    }
    if (answer[0] === PDU.RJ) {
      peer.destroy();
      return new SubAssociation(null, { kind: 'rejected', result: answer[7]!, source: answer[8]!, reason: answer[9]! });
    }
    if (answer[0] === PDU.ABORT) {
      peer.destroy();
      return new SubAssociation(null, { kind: 'aborted' });
    }
    const d = decodePdu(answer);
    if (!d.ok || d.value.type !== 'A-ASSOCIATE-AC') throw new Error('fake archive: undecodable AC');
    const sub = new SubAssociation(peer, { kind: 'accepted' });
    sub.peerMax = d.value.userInformation.maxLength ?? 0;
    for (const pc of d.value.presentationContexts) {
      const p = rq.presentationContexts.find((x) => x.id === pc.id);
      if (p && pc.result === 0) sub.contexts.set(p.abstractSyntax, pc.id);
    }
    peer.onMessage = (m) => {
      const id = messageIdBeingRespondedTo(m.command) ?? -1;
      const w = sub.waiting.get(id);
      sub.waiting.delete(id);
      w?.(m.command);
    };
    return sub;
  }

  get accepted(): boolean {
    return this.outcome.kind === 'accepted';
  }

  /** One C-STORE; resolves with the C-STORE-RSP (an empty set when the association died). */
  async store(inst: ArchiveInstance, originator: { ae?: string; messageId?: number }): Promise<CommandSet> {
    const pc = this.contexts.get(inst.sopClassUid);
    if (!this.peer || pc === undefined) return { elements: [] };
    const id = this.nextId++;
    const rsp = new Promise<CommandSet>((r) => this.waiting.set(id, r));
    const cmd = cStoreRq({
      messageId: id,
      affectedSopClassUid: inst.sopClassUid,
      affectedSopInstanceUid: inst.sopInstanceUid,
      moveOriginatorAeTitle: originator.ae,
      moveOriginatorMessageId: originator.messageId,
    });
    for (const p of toPData(pc, cmd, true, this.peerMax)) await this.peer.send(p);
    for (const p of toPData(pc, inst.data, false, this.peerMax)) await this.peer.send(p);
    return rsp;
  }

  async release(): Promise<void> {
    const peer = this.peer;
    if (!peer || peer.isClosed) return;
    await peer.sendPdu({ type: 'A-RELEASE-RQ' });
    await Promise.race([peer.waitType(PDU.RELEASE_RP, 5000).catch(() => null), peer.closed]);
    await peer.close();
  }
}

// ---- the archive ---------------------------------------------------------------------------------

/** How the archive fills Move Originator in its C-STORE-RQs (dicom-facts 2.6). */
export type OriginatorMode =
  | 'standard' // AE title = the C-MOVE's Calling AE, Message ID = the C-MOVE's Message ID (dcmqrscp)
  | 'omit' // neither field (both are user-optional)
  | 'own-ae'; // its own AE title, and the C-MOVE's Message ID (pynetdicom)

export interface SeenMove {
  callingAe: string;
  calledAe: string;
  messageId: number;
  moveDestination: string;
  sopClassUid: string;
  studyUid: string;
  command: CommandSet;
}

export interface SubOperation {
  /** Message ID of the C-MOVE-RQ the sub-operation belongs to (as the archive saw it). */
  moveMessageId: number;
  sopInstanceUid: string;
  status: number;
  errorComment?: string;
}

export interface FinalResponse {
  moveMessageId: number;
  status: number;
  completed: number;
  failed: number;
  warning: number;
}

export interface FakeArchiveOptions {
  aeTitle?: string;
  studies: ArchiveInstance[][];
  /** Move Destination AE title -> port on 127.0.0.1 (editable later through `aeTable`). */
  aeTable?: Record<string, number>;
  originator?: OriginatorMode;
  /** Pause before each C-STORE sub-operation (gives a test time to cancel). */
  storeDelayMs?: number;
  /** Awaited after a C-MOVE-RQ arrives, before the sub-operation association is opened. */
  beforeStores?: (move: SeenMove) => Promise<void>;
  /** Awaited after the last sub-operation, before the final C-MOVE-RSP (keeps moves overlapping). */
  beforeFinal?: (move: SeenMove) => Promise<void>;
  /** Keep the sub-operation association open after the move (to send strays on it later). */
  keepSubAssociations?: boolean;
  /** Maximum Length the archive advertises (small, so data sets cross many PDUs). */
  maxPdu?: number;
}

export interface FakeArchive {
  port: number;
  aeTitle: string;
  aeTable: Map<string, number>;
  originator: OriginatorMode;
  /** Keep each sub-operation association open after its move (to send strays on it later). */
  keepSubAssociations: boolean;
  /** A-ASSOCIATE-RQs received (the gateway's relayed callers). */
  associations: { callingAe: string; calledAe: string; contexts: PresentationContextRq[] }[];
  moves: SeenMove[];
  /** C-CANCEL-RQs received: their Message ID Being Responded To. */
  cancels: number[];
  /** Outcome of every sub-operation association the archive tried to open. */
  subAssociations: { calledAe: string; outcome: SubAssociationOutcome }[];
  subOps: SubOperation[];
  finals: FinalResponse[];
  /** Sub-operation associations kept open (keepSubAssociations), in move order. */
  kept: { move: SeenMove; sub: SubAssociation }[];
  stop(): Promise<void>;
}

export async function startFakeArchive(o: FakeArchiveOptions): Promise<FakeArchive> {
  const aeTitle = o.aeTitle ?? 'PACS';
  const maxPdu = o.maxPdu ?? 16384;
  const studies = new Map(o.studies.map((s) => [s[0]!.studyUid, s]));
  const connections = new Set<RawPeer>();
  const archive: FakeArchive = {
    port: 0,
    aeTitle,
    aeTable: new Map(Object.entries(o.aeTable ?? {})),
    originator: o.originator ?? 'standard',
    keepSubAssociations: o.keepSubAssociations ?? false,
    associations: [],
    moves: [],
    cancels: [],
    subAssociations: [],
    subOps: [],
    finals: [],
    kept: [],
    stop: async () => {
      for (const k of archive.kept) k.sub.peer?.destroy();
      for (const c of connections) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const server = net.createServer((socket) => {
    const peer = new RawPeer(socket);
    connections.add(peer);
    void peer.closed.then(() => connections.delete(peer));
    let peerMax = 0;
    let rq: AAssociateRq | null = null;
    const ts = new Map<number, string>(); // pc id -> accepted transfer syntax
    const running = new Map<number, { cancelled: boolean }>(); // C-MOVE Message ID -> its run
    peer.onPdu = (pdu) => {
      if (pdu[0] === PDU.RQ) {
        const d = decodePdu(pdu);
        if (!d.ok || d.value.type !== 'A-ASSOCIATE-RQ') return peer.destroy();
        rq = d.value;
        archive.associations.push({ callingAe: rq.callingAeTitle, calledAe: rq.calledAeTitle, contexts: rq.presentationContexts });
        peerMax = rq.userInformation.maxLength ?? 0;
        // A legacy archive: Q/R MOVE and Verification only, identifiers preferably Implicit VR LE.
        const ac = acFor(pdu, rq, maxPdu, (pc) => {
          if (!MOVE_CLASSES.has(pc.abstractSyntax) && pc.abstractSyntax !== VERIFICATION) return 3;
          return pc.transferSyntaxes.includes(IMPLICIT_LE) ? IMPLICIT_LE : (pc.transferSyntaxes[0] ?? 4);
        });
        for (const pc of ac.presentationContexts) if (pc.result === 0) ts.set(pc.id, pc.transferSyntax);
        void peer.sendPdu(ac);
      } else if (pdu[0] === PDU.RELEASE_RQ) {
        void peer.send(encodePdu({ type: 'A-RELEASE-RP' })).then(() => socket.end());
      } else if (pdu[0] === PDU.ABORT) {
        for (const r of running.values()) r.cancelled = true;
        socket.destroy();
      }
    };
    peer.onMessage = (m) => {
      const field = commandField(m.command);
      if (field === COMMAND_FIELD['C-ECHO-RQ']) {
        void send(peer, m.pcId, cEchoRsp({ messageIdBeingRespondedTo: messageId(m.command) ?? 0 }), null, peerMax);
      } else if (field === COMMAND_FIELD['C-CANCEL-RQ']) {
        const id = messageIdBeingRespondedTo(m.command) ?? -1;
        archive.cancels.push(id);
        const r = running.get(id);
        if (r) r.cancelled = true;
      } else if (field === COMMAND_FIELD['C-MOVE-RQ']) {
        const run = { cancelled: false };
        running.set(messageId(m.command) ?? 0, run);
        void runMove(archive, o, studies, peer, m, rq!, ts.get(m.pcId) ?? IMPLICIT_LE, peerMax, maxPdu, run).finally(() => running.delete(messageId(m.command) ?? 0));
      }
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => resolve());
  });
  archive.port = (server.address() as net.AddressInfo).port;
  return archive;
}

async function send(peer: RawPeer, pcId: number, command: Buffer, data: Buffer | null, max: number): Promise<void> {
  for (const p of toPData(pcId, command, true, max)) await peer.send(p);
  if (data) for (const p of toPData(pcId, data, false, max)) await peer.send(p);
}

/** Failed SOP Instance UID List (0008,0058) as the final response's identifier. */
function failedList(uids: string[], transferSyntax: string): Buffer {
  return element(0x0008, 0x0058, 'UI', Buffer.from(uids.join('\\')), transferSyntax !== IMPLICIT_LE);
}

async function runMove(
  archive: FakeArchive,
  o: FakeArchiveOptions,
  studies: Map<string, ArchiveInstance[]>,
  peer: RawPeer,
  m: DimseMessage,
  rq: AAssociateRq,
  transferSyntax: string,
  peerMax: number,
  maxPdu: number,
  run: { cancelled: boolean },
): Promise<void> {
  const cs = m.command;
  const id = messageId(cs) ?? 0;
  const sopClassUid = affectedSopClassUid(cs) ?? STUDY_ROOT_MOVE;
  const move: SeenMove = {
    callingAe: rq.callingAeTitle,
    calledAe: rq.calledAeTitle,
    messageId: id,
    moveDestination: (moveDestination(cs) ?? '').trim(),
    sopClassUid,
    studyUid: readStrings(m.data ?? Buffer.alloc(0), transferSyntax).get(0x0020000d) ?? '',
    command: cs,
  };
  archive.moves.push(move);
  const rsp = (status: number, c: { remaining?: number; completed?: number; failed?: number; warning?: number; comment?: string; failedUids?: string[] }) => {
    if (statusClass(status) !== 'pending') archive.finals.push({ moveMessageId: id, status, completed: c.completed ?? 0, failed: c.failed ?? 0, warning: c.warning ?? 0 });
    const ident = c.failedUids?.length ? failedList(c.failedUids, transferSyntax) : null;
    const bytes = cMoveRsp({
      messageIdBeingRespondedTo: id,
      affectedSopClassUid: sopClassUid,
      status,
      remaining: c.remaining,
      completed: c.completed,
      failed: c.failed,
      warning: c.warning,
      errorComment: c.comment,
      withIdentifier: ident !== null,
    });
    return send(peer, m.pcId, bytes, ident, peerMax);
  };
  const instances = studies.get(move.studyUid) ?? [];
  await o.beforeStores?.(move);
  const port = archive.aeTable.get(move.moveDestination);
  if (port === undefined) return rsp(0xa801, { comment: 'Unknown move destination' });
  const sub = await SubAssociation.open(
    port,
    archive.aeTitle,
    move.moveDestination,
    instances.map((i) => i.sopClassUid),
    maxPdu,
  );
  archive.subAssociations.push({ calledAe: move.moveDestination, outcome: sub.outcome });
  if (!sub.accepted) {
    // dcmqrscp: no sub-operation association, every sub-operation fails.
    return rsp(0xa702, { completed: 0, failed: instances.length, warning: 0, failedUids: instances.map((i) => i.sopInstanceUid) });
  }
  let completed = 0;
  let failed = 0;
  let warning = 0;
  const failedUids: string[] = [];
  let done = 0;
  for (const inst of instances) {
    if (o.storeDelayMs) await new Promise((r) => setTimeout(r, o.storeDelayMs));
    if (run.cancelled) break;
    const mode = archive.originator;
    const originator = mode === 'omit' ? {} : { ae: mode === 'own-ae' ? archive.aeTitle : move.callingAe, messageId: id };
    const r = await sub.store(inst, originator);
    const st = statusOf(r) ?? 0xffff;
    archive.subOps.push({ moveMessageId: id, sopInstanceUid: inst.sopInstanceUid, status: st, errorComment: errorComment(r) });
    const cls = statusClass(st);
    if (cls === 'success') completed++;
    else if (cls === 'warning') warning++;
    else {
      failed++;
      failedUids.push(inst.sopInstanceUid);
    }
    done++;
    if (done < instances.length && !run.cancelled) await rsp(0xff00, { remaining: instances.length - done, completed, failed, warning });
  }
  await o.beforeFinal?.(move);
  if (archive.keepSubAssociations) archive.kept.push({ move, sub });
  else await sub.release();
  if (run.cancelled) return rsp(0xfe00, { remaining: instances.length - done, completed, failed, warning, failedUids });
  return rsp(failed + warning > 0 ? 0xb000 : 0x0000, { completed, failed, warning, failedUids });
}

/** Sub-operation counts of a C-MOVE-RSP / C-GET-RSP. */
export function countsOf(cs: CommandSet): { status: number | undefined; remaining?: number; completed?: number; failed?: number; warning?: number } {
  return {
    status: statusOf(cs),
    remaining: getUint16(cs, TAG.NumberOfRemainingSuboperations),
    completed: getUint16(cs, TAG.NumberOfCompletedSuboperations),
    failed: getUint16(cs, TAG.NumberOfFailedSuboperations),
    warning: getUint16(cs, TAG.NumberOfWarningSuboperations),
  };
}
