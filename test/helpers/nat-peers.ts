// Peers for the C-MOVE/C-GET across NAT end-to-end tests (test/e2e/nat-*): a gateway YAML with the
// NAT node flags, a storage SCP standing for a move destination that records every data set per
// SOP Instance UID with the command that carried it, C-MOVE and C-GET callers on RawPeer, and a
// capture of the gateway's log lines. Every address is 127.0.0.1.
import net from 'node:net';
import { decodePdu, encodePdu } from '../../src/ul/codec.ts';
import type { AAssociateAc, AAssociateRq, PresentationContextRq, RoleSelection } from '../../src/ul/types.ts';
import {
  COMMAND_FIELD,
  TAG,
  affectedSopClassUid,
  affectedSopInstanceUid,
  commandField,
  commandSetOf,
  encodeCommandSet,
  messageId,
  moveOriginatorAeTitle,
  moveOriginatorMessageId,
  status as statusOf,
  type CommandSet,
} from '../../src/dimse/command-set.ts';
import { cCancelRq, cStoreRsp } from '../../src/dimse/messages.ts';
import { toPData } from '../../src/dimse/fragment.ts';
import { freePorts } from './ports.ts';
import { APP_CONTEXT, EXPLICIT_LE, HOST, IMPLICIT_LE, PDU, RawPeer, acFor, cMoveRq, rawConnect, type DimseMessage } from './raw-peer.ts';
import { SECONDARY_CAPTURE, STUDY_ROOT_GET, STUDY_ROOT_MOVE, startFakeArchive, studyIdentifier, type FakeArchive, type FakeArchiveOptions } from './fake-archive.ts';
import { startGateway, type RunningGateway } from './gateway.ts';

// ---- gateway YAML ---------------------------------------------------------------------------------

export interface NatNode {
  port: number;
  aeTitle?: string;
  callingAeTitle?: string;
  reachable?: boolean;
  rewriteMoveDestination?: boolean;
  bridgeGetToMove?: boolean;
}

export interface NatSpec {
  nodes: Record<string, NatNode>;
  rules: { from: string[]; to: string[]; services?: string[] }[];
}

export async function natYaml(spec: NatSpec): Promise<string> {
  const [listenerPort, adminPort] = await freePorts(2);
  const lines = ['aeTitle: GATEWAY', 'listeners:', '  - name: lan', '    host: 127.0.0.1', `    port: ${listenerPort}`, 'nodes:'];
  for (const [name, n] of Object.entries(spec.nodes)) {
    lines.push(`  ${name}:`, '    host: 127.0.0.1', `    port: ${n.port}`);
    for (const k of ['aeTitle', 'callingAeTitle', 'reachable', 'rewriteMoveDestination', 'bridgeGetToMove'] as const) {
      if (n[k] !== undefined) lines.push(`    ${k}: ${JSON.stringify(n[k])}`);
    }
  }
  lines.push('rules:');
  for (const r of spec.rules) {
    lines.push(`  - from: [${r.from.join(', ')}]`, `    to: [${r.to.join(', ')}]`);
    if (r.services) lines.push(`    services: [${r.services.join(', ')}]`);
  }
  lines.push('admin:', '  host: 127.0.0.1', `  port: ${adminPort}`, 'log:', '  level: silent');
  lines.push('limits:', '  artimMs: 2000', '  connectTimeoutMs: 2000', '  shutdownGraceMs: 0');
  return lines.join('\n') + '\n';
}

// ---- a move destination ---------------------------------------------------------------------------

export interface Delivered {
  sopInstanceUid: string;
  sopClassUid: string;
  callingAe: string;
  calledAe: string;
  moveOriginatorAe: string | undefined;
  moveOriginatorMessageId: number | undefined;
  sha256: string | null;
  length: number;
}

export interface StorageScp {
  port: number;
  /** A-ASSOCIATE-RQs seen: Calling and Called AE. */
  associations: { callingAe: string; calledAe: string }[];
  /** Every C-STORE received, in order. */
  delivered: Delivered[];
  byUid(uid: string): Delivered | undefined;
  stop(): Promise<void>;
}

/** Accepts every context (first transfer syntax) and answers each C-STORE with `statusFor` (default success). */
export async function startStorageScp(o: { statusFor?: (d: Delivered) => number } = {}): Promise<StorageScp> {
  const peers = new Set<RawPeer>();
  const scp: StorageScp = {
    port: 0,
    associations: [],
    delivered: [],
    byUid: (uid) => scp.delivered.find((d) => d.sopInstanceUid === uid),
    stop: async () => {
      for (const p of peers) p.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((socket) => {
    const peer = new RawPeer(socket);
    peers.add(peer);
    void peer.closed.then(() => peers.delete(peer));
    let rq: AAssociateRq | null = null;
    peer.onPdu = (pdu) => {
      if (pdu[0] === PDU.RQ) {
        const d = decodePdu(pdu);
        if (!d.ok || d.value.type !== 'A-ASSOCIATE-RQ') return peer.destroy();
        rq = d.value;
        scp.associations.push({ callingAe: rq.callingAeTitle, calledAe: rq.calledAeTitle });
        void peer.sendPdu(acFor(pdu, rq, 16384, (pc) => pc.transferSyntaxes[0]!));
      } else if (pdu[0] === PDU.RELEASE_RQ) {
        void peer.send(encodePdu({ type: 'A-RELEASE-RP' })).then(() => socket.end());
      } else if (pdu[0] === PDU.ABORT) {
        socket.destroy();
      }
    };
    peer.onMessage = (m) => {
      if (commandField(m.command) !== COMMAND_FIELD['C-STORE-RQ'] || !rq) return;
      const d: Delivered = {
        sopInstanceUid: affectedSopInstanceUid(m.command) ?? '',
        sopClassUid: affectedSopClassUid(m.command) ?? '',
        callingAe: rq.callingAeTitle,
        calledAe: rq.calledAeTitle,
        moveOriginatorAe: moveOriginatorAeTitle(m.command)?.trim(),
        moveOriginatorMessageId: moveOriginatorMessageId(m.command),
        sha256: m.dataSha256,
        length: m.dataLength,
      };
      scp.delivered.push(d);
      const rsp = cStoreRsp({ messageIdBeingRespondedTo: messageId(m.command) ?? 0, affectedSopClassUid: d.sopClassUid, affectedSopInstanceUid: d.sopInstanceUid, status: o.statusFor?.(d) ?? 0 });
      void sendAll(peer, toPData(m.pcId, rsp, true, rq.userInformation.maxLength ?? 0));
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => resolve());
  });
  scp.port = (server.address() as net.AddressInfo).port;
  return scp;
}

async function sendAll(peer: RawPeer, pdus: Buffer[]): Promise<void> {
  for (const p of pdus) await peer.send(p);
}

// ---- callers ---------------------------------------------------------------------------------------

export interface Caller {
  peer: RawPeer;
  ac: AAssociateAc;
  /** What the gateway can receive (its AC Maximum Length). */
  sendMax: number;
  /** Accepted presentation context id by abstract syntax. */
  pc: Map<string, number>;
}

/** Associates with the gateway; throws unless accepted. */
export async function associate(port: number, calling: string, called: string, contexts: PresentationContextRq[], roleSelections: RoleSelection[] = []): Promise<Caller> {
  const peer = await rawConnect(port);
  const rq: AAssociateRq = {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: called,
    callingAeTitle: calling,
    applicationContextName: APP_CONTEXT,
    presentationContexts: contexts,
    userInformation: { maxLength: 16384, implementationClassUid: '1.2.826.0.1.3680043.9.7433.4', implementationVersionName: 'NAT_CALLER', roleSelections, otherItems: [] },
  };
  await peer.sendPdu(rq);
  const answer = await peer.waitPdu((p) => p[0] === PDU.AC || p[0] === PDU.RJ || p[0] === PDU.ABORT, 5000, 'AC/RJ/ABORT');
  const d = decodePdu(answer);
  if (!d.ok || d.value.type !== 'A-ASSOCIATE-AC') {
    peer.destroy();
    throw new Error(`${calling} -> ${called}: not accepted (PDU type ${answer[0]}, bytes ${answer.subarray(6).toString('hex')})`);
  }
  const ac = d.value;
  const pc = new Map<string, number>();
  for (const a of ac.presentationContexts) {
    const p = contexts.find((x) => x.id === a.id);
    if (p && a.result === 0) pc.set(p.abstractSyntax, a.id);
  }
  return { peer, ac, sendMax: ac.userInformation.maxLength ?? 0, pc };
}

/** A caller with one Study Root MOVE context (identifiers in Implicit VR LE). */
export function moveCaller(port: number, calling: string, called: string): Promise<Caller> {
  return associate(port, calling, called, [{ id: 1, abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: [IMPLICIT_LE] }]);
}

export { cMoveRq } from './raw-peer.ts';

export function cGetRq(id: number, sopClass = STUDY_ROOT_GET): Buffer {
  return encodeCommandSet(
    commandSetOf([
      [TAG.AffectedSOPClassUID, sopClass],
      [TAG.CommandField, COMMAND_FIELD['C-GET-RQ']],
      [TAG.MessageID, id],
      [TAG.Priority, 0],
      [TAG.CommandDataSetType, 0x0001],
    ]),
  );
}

export function isFinal(cs: CommandSet): boolean {
  const s = statusOf(cs);
  return s !== 0xff00 && s !== 0xff01;
}

/** Sends a C-MOVE-RQ and its identifier. */
export async function sendMove(c: Caller, id: number, destination: string, studyUid: string): Promise<void> {
  const pc = c.pc.get(STUDY_ROOT_MOVE)!;
  for (const p of toPData(pc, cMoveRq(id, destination), true, c.sendMax)) await c.peer.send(p);
  for (const p of toPData(pc, studyIdentifier(studyUid), false, c.sendMax)) await c.peer.send(p);
}

/** Every message up to and including the final C-MOVE-RSP (or C-GET-RSP). */
export async function responsesUntilFinal(c: Caller, timeoutMs = 10000): Promise<DimseMessage[]> {
  const out: DimseMessage[] = [];
  for (;;) {
    const m = await c.peer.nextMessage(timeoutMs);
    out.push(m);
    if (commandField(m.command)! & 0x8000 && isFinal(m.command)) return out;
  }
}

/** C-MOVE: the responses, pending ones first, the final last. */
export async function cMove(c: Caller, id: number, destination: string, studyUid: string): Promise<DimseMessage[]> {
  await sendMove(c, id, destination, studyUid);
  return responsesUntilFinal(c);
}

export async function sendCancel(c: Caller, pcAbstract: string, beingRespondedTo: number): Promise<void> {
  for (const p of toPData(c.pc.get(pcAbstract)!, cCancelRq({ messageIdBeingRespondedTo: beingRespondedTo }), true, c.sendMax)) await c.peer.send(p);
}

export interface GetOutcome {
  /** C-GET-RSPs, the final last. */
  responses: DimseMessage[];
  /** C-STORE-RQ sub-operations received on the caller's association, in order. */
  stores: DimseMessage[];
  /** Everything in arrival order (stores and responses interleaved). */
  all: DimseMessage[];
}

/** C-GET on the caller's association: answers each C-STORE sub-operation with `answer` (default success). */
export async function cGet(c: Caller, id: number, studyUid: string, answer: (m: DimseMessage, index: number) => number = () => 0): Promise<GetOutcome> {
  const pc = c.pc.get(STUDY_ROOT_GET)!;
  for (const p of toPData(pc, cGetRq(id), true, c.sendMax)) await c.peer.send(p);
  for (const p of toPData(pc, studyIdentifier(studyUid), false, c.sendMax)) await c.peer.send(p);
  const out: GetOutcome = { responses: [], stores: [], all: [] };
  for (;;) {
    const m = await c.peer.nextMessage(10000);
    out.all.push(m);
    if (commandField(m.command) === COMMAND_FIELD['C-STORE-RQ']) {
      const st = answer(m, out.stores.length);
      out.stores.push(m);
      const rsp = cStoreRsp({
        messageIdBeingRespondedTo: messageId(m.command) ?? 0,
        affectedSopClassUid: affectedSopClassUid(m.command) ?? '',
        affectedSopInstanceUid: affectedSopInstanceUid(m.command) ?? '',
        status: st,
      });
      for (const p of toPData(m.pcId, rsp, true, c.sendMax)) await c.peer.send(p);
      continue;
    }
    out.responses.push(m);
    if (isFinal(m.command)) return out;
  }
}

export { EXPLICIT_LE, IMPLICIT_LE };

// ---- gateway log lines ----------------------------------------------------------------------------

/** Captures the JSON log lines the in-process gateway writes to stderr (start it with a log level);
 *  anything else passes through. */
export function captureGatewayLog(): { lines: Record<string, unknown>[]; restore(): void } {
  const lines: Record<string, unknown>[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let mine = true;
    for (const l of text.split('\n').filter(Boolean)) {
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        if (j.service === 'dicom-tls-gateway') lines.push(j);
        else mine = false;
      } catch {
        mine = false;
      }
    }
    return mine ? true : (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return { lines, restore: () => void (process.stderr.write = original) };
}

export interface MoveAndGetScenario {
  archive: FakeArchive;
  dest: StorageScp;
  gw: RunningGateway;
  /** SCU: C-MOVE caller (Study Root MOVE). */
  mover: Caller;
  /** GETSCU: C-GET caller taking Secondary Capture (SCP role) in Explicit VR LE. */
  getter: Caller;
  stop(): Promise<void>;
}

/** One archive (PACS, with rewriteMoveDestination and bridgeGetToMove) behind the gateway, a
 *  destination DEST, and two callers on it: a C-MOVE caller and a bridged C-GET caller. */
export async function startMoveAndGetScenario(archiveOptions: FakeArchiveOptions): Promise<MoveAndGetScenario> {
  const archive = await startFakeArchive(archiveOptions);
  const dest = await startStorageScp();
  const gw = await startGateway(
    await natYaml({
      nodes: {
        SCU: { port: 104 },
        GETSCU: { port: 104 },
        PACS: { port: archive.port, rewriteMoveDestination: true, bridgeGetToMove: true },
        DEST: { port: dest.port },
      },
      rules: [
        { from: ['SCU', 'GETSCU'], to: ['PACS'] },
        { from: ['PACS'], to: ['DEST'] },
      ],
    }),
  );
  archive.aeTable.set('GATEWAY', gw.port('lan'));
  const mover = await moveCaller(gw.port('lan'), 'SCU', 'PACS');
  const getter = await associate(
    gw.port('lan'),
    'GETSCU',
    'PACS',
    [
      { id: 1, abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: SECONDARY_CAPTURE, transferSyntaxes: [EXPLICIT_LE] },
    ],
    [{ sopClassUid: SECONDARY_CAPTURE, scuRole: 0, scpRole: 1 }],
  );
  return {
    archive,
    dest,
    gw,
    mover,
    getter,
    stop: async () => {
      mover.peer.destroy();
      getter.peer.destroy();
      await gw.stop();
      await archive.stop();
      await dest.stop();
    },
  };
}
