// The relay's association states and which PDUs each accepts from each side, as data (STYLE rule 4).
// A relay is two PS3.8 state machines back to back (acceptor towards the caller, requestor towards
// the node); these states are the pairs that can occur. A PDU not listed for the state and side is
// an unexpected PDU: A-ABORT source 2 reason 2 (PS3.8 Table 9-10, AA-8). A-ABORT is accepted in
// every state (AA-3) and handled before this table is consulted.
import type { PduTypeName } from '../ul/types.ts';
import type { Side } from './leg.ts';

export type RelayState =
  | 'Sta2' // transport open, awaiting A-ASSOCIATE-RQ from the caller (ARTIM running)
  | 'connecting' // RQ accepted by policy; opening TCP/TLS to the node (caller Sta3, node Sta4)
  | 'Sta5' // RQ sent to the node, awaiting its AC or RJ (caller still Sta3)
  | 'Sta6' // established both ways: P-DATA relayed
  | 'releasing' // an A-RELEASE-RQ was relayed; P-DATA may still flow (Sta7/Sta8, collisions Sta9-12)
  | 'local' // answered by the gateway itself (its own AE title), Sta6 towards the caller
  | 'Sta13'; // RJ, RP or A-ABORT sent: waiting for transport close (ARTIM running)

export const ACCEPTED_PDUS: Record<RelayState, Record<Side, readonly PduTypeName[]>> = {
  Sta2: { caller: ['A-ASSOCIATE-RQ'], node: [] },
  connecting: { caller: [], node: [] },
  Sta5: { caller: [], node: ['A-ASSOCIATE-AC', 'A-ASSOCIATE-RJ'] },
  Sta6: { caller: ['P-DATA-TF', 'A-RELEASE-RQ'], node: ['P-DATA-TF', 'A-RELEASE-RQ'] },
  releasing: { caller: ['P-DATA-TF', 'A-RELEASE-RQ', 'A-RELEASE-RP'], node: ['P-DATA-TF', 'A-RELEASE-RQ', 'A-RELEASE-RP'] },
  local: { caller: ['P-DATA-TF', 'A-RELEASE-RQ'], node: [] },
  Sta13: { caller: [], node: [] },
};

export function accepts(state: RelayState, side: Side, pdu: PduTypeName): boolean {
  return ACCEPTED_PDUS[state][side].includes(pdu);
}
