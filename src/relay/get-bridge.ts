// C-GET for callers behind NAT (CONTRACT "C-GET for callers behind NAT", dicom-facts 2.8). On an
// association to a node with bridgeGetToMove, the gateway itself negotiates the caller's C-GET
// contexts (proposing their C-MOVE twins to the node) and the storage contexts the caller offers
// to receive on (SCP role), turns each C-GET-RQ into a C-MOVE-RQ with the gateway as Move
// Destination, delivers the node's C-STORE sub-operations (arriving on the node's own association
// to the gateway, see suboperations.ts) onto the caller's association, and turns the node's
// C-MOVE-RSPs into C-GET-RSPs. The caller's C-STORE-RSPs go back to the node, so the node's
// counts, and with them the final C-GET-RSP, are what the caller really answered.
import type { AAssociateAc, AAssociateRq, PresentationContextRq, RoleSelection } from '../ul/types.ts';
import { COMMAND_FIELD, TAG, encodeCommandSet, messageIdBeingRespondedTo, status, without, withString, withUint16, type CommandSet } from '../dimse/command-set.ts';
import { GET_TO_MOVE, EXPLICIT_VR_LE } from '../dimse/sop-classes.ts';
import type { Logger } from '../obs/log.ts';
import { PC_RESULT } from './negotiation.ts';
import type { Leg } from './leg.ts';

export interface BridgeStore {
  /** Presentation context on the caller's association the sub-operation goes on. */
  pcId: number;
  /** The C-STORE-RQ for the caller (gateway Message ID, no Move Originator fields). */
  command: Buffer;
  maxPdu: number;
  /** The caller's leg, so back-pressure follows the data to it. */
  leg: Leg;
  send(buf: Buffer): void;
  /** The data set has been sent whole: the caller's association may carry other messages again. */
  end(): void;
}

/** What the sub-operation relay needs from a bridged caller association. */
export interface BridgeTarget {
  readonly callerNode: string;
  readonly open: boolean;
  /** What the caller can receive in one P-DATA-TF (0 = unlimited). */
  receiveMax(): number;
  transferSyntaxFor(sopClass: string, offered: readonly string[]): string | null;
  /** `respond` gets the caller's C-STORE-RSP, or null when the caller went away first. */
  beginStore(rq: CommandSet, sopClass: string, transferSyntax: string, respond: (callerRsp: CommandSet | null) => void): BridgeStore | { why: string };
}

interface LocalStorageContext {
  id: number;
  sopClass: string;
  transferSyntax: string;
}

export interface BridgePlan {
  /** Contexts to propose to the node: GET replaced by its MOVE twin, local storage left out. */
  proposed: PresentationContextRq[];
  roleSelections: RoleSelection[];
}

/** Per bridged caller association. */
export class GetBridge implements BridgeTarget {
  readonly getContexts = new Map<number, string>(); // PC id -> C-GET SOP class
  private readonly storage = new Map<number, LocalStorageContext>();
  private readonly waiting = new Map<number, (rsp: CommandSet | null) => void>(); // caller Message ID -> respond
  private nextMessageId = 1;
  private streaming = false;
  private readonly held: Buffer[] = [];
  open = true;

  constructor(
    readonly callerNode: string,
    private readonly callerLeg: Leg,
    private readonly callerMaxPdu: () => number,
    private readonly log: Logger,
  ) {}

  /** Splits the caller's RQ: which contexts the gateway answers itself, what the node is asked. */
  static plan(rq: AAssociateRq, proposed: PresentationContextRq[]): { plan: BridgePlan; gets: Map<number, string>; storage: PresentationContextRq[] } | null {
    const scpClasses = new Set(rq.userInformation.roleSelections.filter((r) => r.scpRole === 1).map((r) => r.sopClassUid));
    const gets = new Map<number, string>();
    const storage: PresentationContextRq[] = [];
    const toNode: PresentationContextRq[] = [];
    for (const pc of proposed) {
      const twin = GET_TO_MOVE.get(pc.abstractSyntax);
      if (twin) {
        gets.set(pc.id, pc.abstractSyntax);
        toNode.push({ ...pc, abstractSyntax: twin });
      } else if (scpClasses.has(pc.abstractSyntax)) {
        storage.push(pc);
      } else {
        toNode.push(pc);
      }
    }
    if (gets.size === 0) return null;
    const roleSelections = rq.userInformation.roleSelections.filter((r) => !scpClasses.has(r.sopClassUid));
    return { plan: { proposed: toNode, roleSelections }, gets, storage };
  }

  /** Adds the gateway's own answers for the storage contexts (and their SCP role) to the AC. */
  completeAc(ac: AAssociateAc, gets: Map<number, string>, storage: PresentationContextRq[]): AAssociateAc {
    for (const [id, cls] of gets) this.getContexts.set(id, cls);
    const answers = new Map(ac.presentationContexts.map((pc) => [pc.id, pc]));
    const roles: RoleSelection[] = [];
    for (const pc of storage) {
      // Explicit VR LE when offered: the archive most likely holds it or can send it.
      const ts = pc.transferSyntaxes.includes(EXPLICIT_VR_LE) ? EXPLICIT_VR_LE : pc.transferSyntaxes[0];
      if (!ts) {
        answers.set(pc.id, { id: pc.id, result: PC_RESULT.transferSyntaxesNotSupported, transferSyntax: '' });
        continue;
      }
      answers.set(pc.id, { id: pc.id, result: PC_RESULT.acceptance, transferSyntax: ts });
      this.storage.set(pc.id, { id: pc.id, sopClass: pc.abstractSyntax, transferSyntax: ts });
      if (!roles.some((r) => r.sopClassUid === pc.abstractSyntax)) roles.push({ sopClassUid: pc.abstractSyntax, scuRole: 0, scpRole: 1 });
    }
    const presentationContexts = [...answers.values()].sort((a, b) => a.id - b.id);
    // PS3.7 D.3.3.4: answer each SCP role proposal, or the caller may not act as SCP at all.
    const roleSelections = [...ac.userInformation.roleSelections.filter((r) => !roles.some((x) => x.sopClassUid === r.sopClassUid)), ...roles];
    return { ...ac, presentationContexts, userInformation: { ...ac.userInformation, roleSelections } };
  }

  /** Storage contexts the gateway accepted from the caller (C-STORE-RSPs arrive on them). */
  get storageContextIds(): number[] {
    return [...this.storage.keys()];
  }

  receiveMax(): number {
    return this.callerMaxPdu();
  }

  transferSyntaxFor(sopClass: string, offered: readonly string[]): string | null {
    for (const c of this.storage.values()) if (c.sopClass === sopClass && offered.includes(c.transferSyntax)) return c.transferSyntax;
    return null;
  }

  beginStore(rq: CommandSet, sopClass: string, transferSyntax: string, respond: (rsp: CommandSet | null) => void): BridgeStore | { why: string } {
    if (!this.open) return { why: 'the C-GET caller has gone away' };
    const ctx = [...this.storage.values()].find((c) => c.sopClass === sopClass && c.transferSyntax === transferSyntax);
    if (!ctx) return { why: `the C-GET caller accepted no context for ${sopClass} in ${transferSyntax}` };
    const id = this.allocateMessageId();
    this.waiting.set(id, respond);
    // dicom-facts 2.8 step 5: a new Message ID on the caller's association, no Move Originator.
    const cs = without(without(withUint16(rq, TAG.MessageID, id), TAG.MoveOriginatorApplicationEntityTitle), TAG.MoveOriginatorMessageID);
    this.streaming = true;
    return {
      pcId: ctx.id,
      command: encodeCommandSet(cs),
      maxPdu: this.callerMaxPdu(),
      leg: this.callerLeg,
      send: (buf) => void this.callerLeg.send(buf),
      end: () => this.release(),
    };
  }

  /** Messages from the node for the caller (C-GET-RSPs) wait while a sub-operation's data set is
   *  being streamed to the caller, so fragments of two messages never interleave (PS3.8 E.1). */
  toCaller(buf: Buffer): void {
    if (this.streaming) this.held.push(buf);
    else this.callerLeg.send(buf);
  }

  /** A C-STORE-RSP from the caller: hand it to the sub-operation waiting for it. */
  onCallerStoreRsp(rsp: CommandSet): boolean {
    const id = messageIdBeingRespondedTo(rsp) ?? -1;
    const respond = this.waiting.get(id);
    if (!respond) return false;
    this.waiting.delete(id);
    respond(rsp);
    return true;
  }

  /** The node's C-MOVE-RSP as the C-GET-RSP the caller expects (PS3.7 9.3.3.2). */
  getRspFromMoveRsp(moveRsp: CommandSet, getClass: string, callerMessageId: number): Buffer {
    let cs = withUint16(moveRsp, TAG.CommandField, COMMAND_FIELD['C-GET-RSP']);
    cs = withString(cs, TAG.AffectedSOPClassUID, getClass);
    cs = withUint16(cs, TAG.MessageIDBeingRespondedTo, callerMessageId);
    if (status(moveRsp) === 0xa801) {
      // The archive does not know the gateway's AE title as a move destination: a site
      // configuration error, reported to the caller as "unable to perform sub-operations".
      this.log.error('the node answered 0xA801 to the bridged C-MOVE: it does not know the gateway AE title as a move destination');
      cs = withUint16(cs, TAG.Status, 0xa702);
      cs = withString(cs, TAG.ErrorComment, 'Archive does not know the gateway as destination');
    }
    return encodeCommandSet(cs);
  }

  /** The caller's association ended: sub-operations still waiting fail towards the node. */
  close(): void {
    this.open = false;
    for (const respond of this.waiting.values()) respond(null);
    this.waiting.clear();
    this.held.length = 0;
  }

  private release(): void {
    this.streaming = false;
    while (this.held.length && !this.streaming) this.callerLeg.send(this.held.shift()!);
  }

  private allocateMessageId(): number {
    for (;;) {
      const id = this.nextMessageId;
      this.nextMessageId = this.nextMessageId >= 65535 ? 1 : this.nextMessageId + 1;
      if (!this.waiting.has(id)) return id;
    }
  }
}
