// Who may call whom: the CONTRACT "Association handling" checks as one fail-closed value function
// (STYLE rule 7). The relay has already applied `allowFrom` and the TLS handshake; it calls
// decideAssociation with the A-ASSOCIATE-RQ's facts, sends the A-ASSOCIATE-RJ on 'reject', and on
// 'accept-node' connects to the node (a failed connect is its own 2/3/1, REJECT_CODES
// 'node-connect-failed'). Checks run in the CONTRACT's order; the first failure decides.
import type { DimseServiceName, GatewayConfig, ListenerConfig, NodeConfig } from '../config/types.ts';
import type { RejectionReason } from '../obs/metrics.ts';
import { normalizeAeTitle, printableAeTitle } from './ae-title.ts';
import { isIpLiteral, sameAddress } from './address.ts';
import { identityMatches, type PeerIdentity } from './identity.ts';
import { REJECT_CODES, type RejectCodeName, type RjResult, type RjSource } from './reject-codes.ts';
import { allowedServices, servicesInclude } from './rules.ts';

export interface AssociationFacts {
  listener: ListenerConfig;
  peerAddress: string; // remote IP (may be IPv4-mapped IPv6)
  tlsPeer: PeerIdentity | null; // null on plain listeners
  calledAeTitle: string; // as in the A-ASSOCIATE-RQ (trimmed here)
  callingAeTitle: string;
  activeTotal: number; // associations open now (not counting this one)
  activeForNode: (node: string) => number; // associations open now relayed to this node (by node name)
  resolvedHosts?: ReadonlyMap<string, readonly string[]>; // node host name -> addresses, for checkHost when host is a DNS name
}

export type Decision =
  | { kind: 'accept-node'; node: NodeConfig; callingNode: NodeConfig; services: Set<DimseServiceName> | 'all' }
  | { kind: 'accept-gateway'; callingNode: NodeConfig } // Called AE = the gateway's own aeTitle
  | { kind: 'reject'; result: RjResult; source: RjSource; reason: number; metricReason: RejectionReason; message: string };

export type RejectDecision = Extract<Decision, { kind: 'reject' }>;

/** A reject decision from the REJECT_CODES table plus a log/audit sentence. */
export function reject(name: RejectCodeName, message: string): RejectDecision {
  const c = REJECT_CODES[name];
  return { kind: 'reject', result: c.result, source: c.source, reason: c.reason, metricReason: c.metricReason, message };
}

/** The node the AE title names, or undefined. Node names are the config map keys. */
function findNode(cfg: GatewayConfig, aeTitle: string): NodeConfig | undefined {
  return aeTitle === '' ? undefined : cfg.nodes.get(aeTitle);
}

/** The node a Calling AE names: by node name, else by the node's real `aeTitle` (a legacy archive
 *  opening C-MOVE sub-operation associations calls with its own title, which may differ from the
 *  name callers use for it). Ambiguous real titles match nothing. */
function findCallingNode(cfg: GatewayConfig, aeTitle: string): NodeConfig | undefined {
  const byName = findNode(cfg, aeTitle);
  if (byName !== undefined || aeTitle === '') return byName;
  const byTitle = [...cfg.nodes.values()].filter((n) => n.aeTitle !== undefined && normalizeAeTitle(n.aeTitle) === aeTitle);
  return byTitle.length === 1 ? byTitle[0] : undefined;
}

/**
 * checkHost (CONTRACT: "on plain listeners with checkHost, the source address matches host"):
 * an IP literal host compares as an address (IPv4-mapped aware); a DNS name host compares with the
 * addresses the caller resolved for it (resolvedHosts). Not resolved, or resolved to nothing, is a
 * mismatch: fail closed rather than trusting the AE title alone.
 */
function hostProblem(node: NodeConfig, peerAddress: string, resolved: ReadonlyMap<string, readonly string[]> | undefined): string | null {
  if (isIpLiteral(node.host)) {
    return sameAddress(peerAddress, node.host) ? null : `its host is ${node.host}`;
  }
  const addrs = resolved?.get(node.host);
  if (addrs === undefined || addrs.length === 0) return `its host ${node.host} could not be resolved`;
  return addrs.some((a) => sameAddress(peerAddress, a)) ? null : `its host ${node.host} resolves to ${addrs.join(', ')}`;
}

export function decideAssociation(f: AssociationFacts, cfg: GatewayConfig): Decision {
  const called = normalizeAeTitle(f.calledAeTitle);
  const calling = normalizeAeTitle(f.callingAeTitle);
  // Caller input goes into messages only in printable, length-capped form (log/audit injection).
  const calledShown = printableAeTitle(f.calledAeTitle);
  const callingShown = printableAeTitle(f.callingAeTitle);
  const gatewayAe = normalizeAeTitle(cfg.aeTitle);
  // The gateway's own AE title wins over a node of the same name (the config check forbids the
  // clash); PS3.8 §7.1.1.4: recognising its own name is the acceptor's job.
  const isGateway = called === gatewayAe;
  const calledNode = isGateway ? undefined : findNode(cfg, called);

  // (1) Limits come first: when full, the gateway does no further work and the caller retries
  // (PS3.8 Table 9-21: 2 transient / 3 presentation provider / 2 local-limit-exceeded).
  if (f.activeTotal >= cfg.limits.maxAssociations) {
    return reject('limit', `association limit reached: ${f.activeTotal} of ${cfg.limits.maxAssociations} open`);
  }
  if (calledNode !== undefined && f.activeForNode(calledNode.name) >= cfg.limits.maxAssociationsPerNode) {
    return reject(
      'limit',
      `association limit for node '${calledNode.name}' reached: ${f.activeForNode(calledNode.name)} of ${cfg.limits.maxAssociationsPerNode} open`,
    );
  }

  // (2) Called AE: a node or the gateway itself; else 1/1/7.
  if (!isGateway && calledNode === undefined) {
    return reject('called-ae-not-recognized', `called AE '${calledShown}' is not a configured node or the gateway's AE title`);
  }

  // (3) Calling AE: a configured node, whose claim is backed by its certificate or its address.
  const callingNode = findCallingNode(cfg, calling);
  if (callingNode === undefined) {
    return reject('calling-ae-not-recognized', `calling AE '${callingShown}' is not a configured node`);
  }
  if (callingNode.certificate !== undefined) {
    // "certificate: identity this AE's certificate must carry, both directions" (CONTRACT). A
    // plain listener has no certificate to check, so a node that requires one cannot call there;
    // otherwise checkHost: false plus a plain listener would let anyone claim this AE.
    if (!f.listener.tls) {
      return reject(
        'certificate',
        `calling AE '${callingNode.name}' requires a client certificate but called on plain listener '${f.listener.name}'`,
      );
    }
    if (f.tlsPeer === null) {
      return reject('certificate', `calling AE '${callingNode.name}' requires a client certificate but none was presented`);
    }
    const m = identityMatches(callingNode.certificate, f.tlsPeer);
    if (!m.ok) {
      return reject(
        'certificate',
        `certificate '${f.tlsPeer.subject}' does not identify calling AE '${callingNode.name}': ${m.mismatch ?? 'mismatch'}`,
      );
    }
  }
  if (!f.listener.tls && callingNode.checkHost) {
    const problem = hostProblem(callingNode, f.peerAddress, f.resolvedHosts);
    if (problem !== null) {
      return reject(
        'source-address',
        `calling AE '${callingNode.name}': source address ${f.peerAddress} did not match the node's host (${problem})`,
      );
    }
  }

  // (4) Calls to the gateway's own AE need no rule: it answers C-ECHO for health checks and the
  // C-STORE sub-operations of rewritten C-MOVEs (CONTRACT "C-MOVE across NAT").
  if (isGateway || calledNode === undefined) return { kind: 'accept-gateway', callingNode };

  // (5) Rules: default deny.
  const services = allowedServices(cfg, callingNode.name, calledNode.name);
  if (services === null) {
    return reject('not-allowed', `no rule allows calling AE '${callingNode.name}' to call '${calledNode.name}'`);
  }
  if (services !== 'all' && services.size === 0) {
    // A matching rule with `services: []` leaves nothing to negotiate; say so instead of
    // accepting an association whose every presentation context would be rejected.
    return reject('not-allowed', `the rules allow no services from '${callingNode.name}' to '${calledNode.name}'`);
  }

  // (6) A node behind NAT is never called (CONTRACT `reachable: false`).
  if (!calledNode.reachable) {
    return reject('node-unreachable', `node '${calledNode.name}' is not reachable from the gateway (reachable: false)`);
  }

  return { kind: 'accept-node', node: calledNode, callingNode, services };
}

/** Error Comment (0000,0902) is VR LO: at most 64 characters (PS3.5 §6.2). */
export const ERROR_COMMENT_MAX = 64;

function comment(s: string): string {
  return s.length <= ERROR_COMMENT_MAX ? s : s.slice(0, ERROR_COMMENT_MAX);
}

/**
 * CONTRACT "C-MOVE across NAT": may node `movingNode` (the C-MOVE SCP the request is relayed to)
 * send the instances to `moveDestination`? The destination must be a node with `reachable` not
 * false, and a rule must allow movingNode -> destination with C-STORE among its services (or no
 * services list): the sub-operations are C-STORE-RQs from movingNode to the destination, so C-STORE
 * is what the rule must permit. On failure the gateway answers C-MOVE-RSP 0xA801 with `comment`.
 * The gateway's own AE title is not a valid destination: it is not a node, and the gateway's
 * inbound C-STORE handling exists only for the destinations it rewrote.
 */
export function moveDestinationDecision(
  cfg: GatewayConfig,
  movingNode: string,
  moveDestination: string,
): { ok: true; node: NodeConfig } | { ok: false; comment: string } {
  const dest = normalizeAeTitle(moveDestination);
  const shown = printableAeTitle(moveDestination);
  const node = findNode(cfg, dest);
  if (node === undefined) return { ok: false, comment: comment(`Move destination '${shown}' is not a known node`) };
  if (!node.reachable) return { ok: false, comment: comment(`Move destination '${node.name}' is not reachable`) };
  const moving = normalizeAeTitle(movingNode);
  const services = allowedServices(cfg, moving, node.name);
  if (services === null) return { ok: false, comment: comment(`No rule allows ${moving} to store to '${node.name}'`) };
  if (!servicesInclude(services, 'C-STORE')) {
    return { ok: false, comment: comment(`Rule ${moving} -> ${node.name} does not allow C-STORE`) };
  }
  return { ok: true, node };
}
