// Associations addressed to the gateway's own AE title (CONTRACT: "answered by the gateway
// itself"): it accepts Verification and answers C-ECHO, for peers' health checks. Also used to
// answer an RQ whose every context policy refused, without bothering the node.
import type { AAssociateRq, Pdu, PresentationContextRq } from '../ul/types.ts';
import { encodePdu } from '../ul/codec.ts';
import { COMMAND_FIELD, affectedSopClassUid, commandField, commandName, hasDataSet, isResponse, messageId, serviceName, type CommandSet } from '../dimse/command-set.ts';
import { cEchoRsp } from '../dimse/messages.ts';
import { commandToPData } from '../dimse/fragment.ts';
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE, VERIFICATION } from '../dimse/sop-classes.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../version.ts';
import { acceptedContexts, localAc, PC_RESULT } from './negotiation.ts';
import type { CommandAction } from './pump.ts';
import type { LocalHandler, LocalHooks } from './local-handler.ts';

/** What the gateway can receive in one P-DATA-TF on associations it answers itself. */
export const LOCAL_MAX_PDU = 65536;

type Chooser = (pc: PresentationContextRq) => { transferSyntax: string } | { result: number };

/** Verification over either little-endian transfer syntax; everything else is not supported here. */
export const verificationOnly: Chooser = (pc) => {
  if (pc.abstractSyntax !== VERIFICATION) return { result: PC_RESULT.abstractSyntaxNotSupported };
  const ts = pc.transferSyntaxes.find((t) => t === IMPLICIT_VR_LE || t === EXPLICIT_VR_LE);
  return ts ? { transferSyntax: ts } : { result: PC_RESULT.transferSyntaxesNotSupported };
};

export class LocalService implements LocalHandler {
  constructor(
    private readonly hooks: LocalHooks,
    private readonly rq: AAssociateRq,
    /** Metric label for requests answered here: the node policy routed to, or the gateway's AE. */
    private readonly nodeLabel: string,
    private readonly choose: Chooser = verificationOnly,
  ) {}

  accept(): void {
    const ac = localAc(this.rq, this.choose, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, LOCAL_MAX_PDU);
    this.hooks.setContexts(acceptedContexts(this.rq, ac), this.rq.userInformation.maxLength ?? 0, LOCAL_MAX_PDU);
    this.hooks.send(encodePdu(ac));
    this.hooks.accepted();
  }

  onControlPdu(pdu: Pdu): void {
    if (pdu.type === 'A-RELEASE-RQ') {
      this.hooks.send(encodePdu({ type: 'A-RELEASE-RP' }));
      this.hooks.released();
      return;
    }
    this.hooks.protocolError({ kind: 'unexpected-pdu', message: `${pdu.type} on an established association` });
  }

  onCommand(pcId: number, command: CommandSet): CommandAction {
    const field = commandField(command) ?? 0;
    if (!isResponse(field)) this.hooks.countRequest(commandName(field).startsWith('UNKNOWN') ? 'other' : serviceName(field), this.nodeLabel);
    if (field === COMMAND_FIELD['C-ECHO-RQ']) {
      const rsp = cEchoRsp({ messageIdBeingRespondedTo: messageId(command) ?? 0, affectedSopClassUid: affectedSopClassUid(command) ?? VERIFICATION });
      for (const pdu of commandToPData(pcId, rsp, this.hooks.callerMaxPdu())) this.hooks.send(pdu);
      return { kind: 'swallow', dataSetFollows: false };
    }
    // Only Verification contexts are accepted here, so anything else is a peer bug.
    this.hooks.log.warn({ command: field }, 'unexpected DIMSE command on the gateway AE');
    this.hooks.protocolError({ kind: 'unexpected-pdu-parameter', message: `DIMSE command 0x${field.toString(16)} not supported by the gateway AE` });
    return { kind: 'swallow', dataSetFollows: hasDataSet(command) };
  }
}
