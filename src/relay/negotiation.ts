// A-ASSOCIATE negotiation through the relay (PS3.8 7.1, Annex D): what the gateway proposes to the
// node, what it answers the caller, and which presentation contexts end up usable. Pure functions.
import type { NodeConfig } from '../config/types.ts';
import type { AAssociateAc, AAssociateRq, PresentationContextAc, PresentationContextRq } from '../ul/types.ts';

/** PS3.8 Table 9-18 presentation context results. */
export const PC_RESULT = {
  acceptance: 0,
  userRejection: 1,
  noReason: 2,
  abstractSyntaxNotSupported: 3,
  transferSyntaxesNotSupported: 4,
} as const;

/** Lowers a Maximum Length (0x51) value to the gateway's cap; 0 means unlimited (PS3.8 D.1).
 *  A relay may only lower these values, never raise them (dicom-facts 1.9). */
export function clampMaxLength(value: number | undefined, cap: number): number {
  const v = value ?? 0;
  if (cap <= 0) return v;
  return v === 0 ? cap : Math.min(v, cap);
}

/** The caller's RQ bytes 10..73 (Called AE, Calling AE, 32 reserved), echoed verbatim in the AC
 *  (Table 9-17: "reserved, shall be sent with a value identical to the RQ"). */
export function echoFieldsOf(rq: AAssociateRq): Buffer {
  if (rq.reservedEcho && rq.reservedEcho.length === 64) return rq.reservedEcho;
  const b = Buffer.alloc(64, 0);
  b.write(rq.calledAeTitle.padEnd(16, ' ').slice(0, 16), 0, 'latin1');
  b.write(rq.callingAeTitle.padEnd(16, ' ').slice(0, 16), 16, 'latin1');
  return b;
}

/** The RQ sent to the node: its real AE title as Called, the configured (or the caller's) Calling
 *  AE, only the contexts policy allows; every other item passes through untouched. */
export function buildNodeRq(
  rq: AAssociateRq,
  node: NodeConfig,
  proposed: PresentationContextRq[],
  maxPduCap: number,
): AAssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: rq.protocolVersion,
    calledAeTitle: node.aeTitle ?? node.name,
    callingAeTitle: node.callingAeTitle ?? rq.callingAeTitle,
    applicationContextName: rq.applicationContextName,
    presentationContexts: proposed,
    userInformation: { ...rq.userInformation, maxLength: clampMaxLength(rq.userInformation.maxLength, maxPduCap) },
  };
}

/** The AC sent back to the caller: the node's answer per context, plus the contexts policy refused
 *  (abstract-syntax-not-supported) and any the node left out (treated as rejected, PS3.8 9.3.3.2),
 *  with the caller's own AE title bytes echoed. */
export function buildCallerAc(
  rq: AAssociateRq,
  nodeAc: AAssociateAc,
  refusedByPolicy: readonly number[],
  maxPduCap: number,
): AAssociateAc {
  const fromNode = new Map<number, PresentationContextAc>();
  for (const pc of nodeAc.presentationContexts) fromNode.set(pc.id, pc);
  const refused = new Set(refusedByPolicy);
  const contexts: PresentationContextAc[] = rq.presentationContexts.map((pc) => {
    if (refused.has(pc.id)) return { id: pc.id, result: PC_RESULT.abstractSyntaxNotSupported, transferSyntax: pc.transferSyntaxes[0] ?? '' };
    return fromNode.get(pc.id) ?? { id: pc.id, result: PC_RESULT.noReason, transferSyntax: pc.transferSyntaxes[0] ?? '' };
  });
  return {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: nodeAc.protocolVersion,
    reservedEcho: echoFieldsOf(rq),
    applicationContextName: nodeAc.applicationContextName,
    presentationContexts: contexts,
    userInformation: { ...nodeAc.userInformation, maxLength: clampMaxLength(nodeAc.userInformation.maxLength, maxPduCap) },
  };
}

export interface AcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

/** Contexts usable for P-DATA after negotiation: proposed in the RQ and accepted in the AC. */
export function acceptedContexts(rq: AAssociateRq, ac: AAssociateAc): Map<number, AcceptedContext> {
  const proposed = new Map(rq.presentationContexts.map((pc) => [pc.id, pc]));
  const out = new Map<number, AcceptedContext>();
  for (const pc of ac.presentationContexts) {
    const p = proposed.get(pc.id);
    if (p && pc.result === PC_RESULT.acceptance) out.set(pc.id, { id: pc.id, abstractSyntax: p.abstractSyntax, transferSyntax: pc.transferSyntax });
  }
  return out;
}

/** An AC the gateway builds itself (calls to its own AE title, or when policy left nothing to
 *  propose): `choose` returns the transfer syntax to accept for a context, or a rejection result. */
export function localAc(
  rq: AAssociateRq,
  choose: (pc: PresentationContextRq) => { transferSyntax: string } | { result: number },
  implementationClassUid: string,
  implementationVersionName: string,
  maxLength: number,
): AAssociateAc {
  return {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    reservedEcho: echoFieldsOf(rq),
    applicationContextName: rq.applicationContextName,
    presentationContexts: rq.presentationContexts.map((pc) => {
      const c = choose(pc);
      return 'transferSyntax' in c
        ? { id: pc.id, result: PC_RESULT.acceptance, transferSyntax: c.transferSyntax }
        : { id: pc.id, result: c.result, transferSyntax: pc.transferSyntaxes[0] ?? '' };
    }),
    userInformation: {
      maxLength,
      implementationClassUid,
      implementationVersionName,
      roleSelections: [],
      otherItems: [],
    },
  };
}
