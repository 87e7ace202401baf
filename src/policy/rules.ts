// `rules:` evaluation (CONTRACT "Config file": default deny; a call is allowed when a rule
// matches). Rules are allow-only, so their order does not matter and the services of all matching
// rules add up.
import type { DimseServiceName, GatewayConfig, RuleConfig } from '../config/types.ts';
import type { PresentationContextRq, RoleSelection } from '../ul/types.ts';
import { serviceForAbstractSyntax } from '../dimse/sop-classes.ts';
import { normalizeAeTitle } from './ae-title.ts';

/** '*' in `from` or `to` stands for any configured node. */
export const ANY_NODE = '*';

export type AllowedServices = Set<DimseServiceName> | 'all';

function listMatches(list: readonly string[], name: string): boolean {
  return list.some((entry) => entry === ANY_NODE || normalizeAeTitle(entry) === name);
}

/** Whether `rule` covers calls from node `fromNode` to node `toNode` (names already trimmed). */
export function ruleMatches(rule: RuleConfig, fromNode: string, toNode: string): boolean {
  return listMatches(rule.from, fromNode) && listMatches(rule.to, toNode);
}

/**
 * Services allowed from `fromNode` to `toNode`: null when no rule matches (deny), 'all' when a
 * matching rule has no `services` (CONTRACT: "optional; default all"), otherwise the union of the
 * matching rules' lists. A matching rule with `services: []` contributes nothing, so the result can
 * be an empty set; decideAssociation treats that as not allowed.
 */
export function allowedServices(cfg: Pick<GatewayConfig, 'rules'>, fromNode: string, toNode: string): AllowedServices | null {
  const from = normalizeAeTitle(fromNode);
  const to = normalizeAeTitle(toNode);
  let result: Set<DimseServiceName> | null = null;
  for (const rule of cfg.rules) {
    if (!ruleMatches(rule, from, to)) continue;
    if (rule.services === undefined) return 'all';
    result ??= new Set<DimseServiceName>();
    for (const s of rule.services) result.add(s);
  }
  return result;
}

/** Whether `allowed` includes `service`. */
export function servicesInclude(allowed: AllowedServices | null, service: DimseServiceName): boolean {
  return allowed === 'all' || (allowed !== null && allowed.has(service));
}

export interface FilteredContexts {
  /** Contexts to propose to the node, in the caller's order. */
  proposed: PresentationContextRq[];
  /** Presentation context IDs the gateway answers itself with result 3 (abstract-syntax-not-supported,
   *  PS3.8 Table 9-18), in the caller's order. */
  rejected: number[];
}

/**
 * Splits the caller's presentation contexts into those the rule's services cover and those it does
 * not (CONTRACT "Association handling": rejected as abstract syntax not supported, not proposed to
 * the node). With 'all' everything is proposed, including abstract syntaxes the gateway does not
 * classify. With a list, a context is proposed when its abstract syntax is a SOP class of an
 * allowed service (serviceForAbstractSyntax); unknown abstract syntaxes are rejected (fail closed).
 *
 * C-GET retrieves over the caller's own association: the node sends the instances as C-STORE
 * sub-operations on storage contexts for which the caller takes the SCP role (PS3.4 C.4.3.1,
 * PS3.7 D.3.3.4). So when C-GET is allowed but C-STORE is not, a storage context is still proposed
 * if `roleSelections` has an item for its SOP class with SCU role 0 and SCP role 1: the caller then
 * can only receive on it, never push instances to the node.
 */
export function filterPresentationContexts(
  contexts: readonly PresentationContextRq[],
  allowed: AllowedServices,
  roleSelections: readonly RoleSelection[] = [],
): FilteredContexts {
  if (allowed === 'all') return { proposed: [...contexts], rejected: [] };
  const proposed: PresentationContextRq[] = [];
  const rejected: number[] = [];
  const getReceiveOnly = new Set<string>();
  if (allowed.has('C-GET') && !allowed.has('C-STORE')) {
    for (const r of roleSelections) if (r.scuRole === 0 && r.scpRole === 1) getReceiveOnly.add(r.sopClassUid);
  }
  for (const pc of contexts) {
    const service = serviceForAbstractSyntax(pc.abstractSyntax);
    const ok = service !== null && (allowed.has(service) || (service === 'C-STORE' && getReceiveOnly.has(pc.abstractSyntax)));
    if (ok) proposed.push(pc);
    else rejected.push(pc.id);
  }
  return { proposed, rejected };
}
