// rules: default deny; a call is allowed when a rule lists its calling and called node.
import type { Field, Reader } from './reader.ts';
import { DIMSE_SERVICE_NAMES, type DimseServiceName, type RuleConfig } from './types.ts';
import { checkAeTitle } from './ae-title.ts';
import { didYouMean } from './did-you-mean.ts';

export const RULE_KEYS = ['from', 'to', 'services'] as const;

export interface RuleContext {
  declared: ReadonlySet<string>; // node names
  unreachable: ReadonlySet<string>; // nodes with reachable: false
  gatewayAeTitle: string | undefined;
}

function readNodeList(r: Reader, f: Field, ctx: RuleContext, side: 'from' | 'to'): string[] | undefined {
  if (f.value === null) {
    r.missing(f);
    return undefined;
  }
  const items = r.list(f);
  if (!items) return undefined;
  if (items.length === 0) {
    r.error(f, `an empty '${side}' list matches no call; list node names or "*"`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const item of items) {
    const raw = r.string(item);
    if (raw === undefined) {
      if (item.value === null) r.error(item, 'expected a node name or "*", got nothing');
      ok = false;
      continue;
    }
    if (raw.trim() === '*') {
      out.push('*');
      continue;
    }
    const c = checkAeTitle(raw);
    const name = c.ok ? c.title : raw;
    if (!ctx.declared.has(name)) {
      ok = false;
      if (name === ctx.gatewayAeTitle) {
        r.error(item, `'${name}' is the gateway's own AE title; the gateway answers calls to it itself, no rule needed`);
      } else {
        r.error(item, `unknown node '${name}'${didYouMean(name, ctx.declared)}; list a name from nodes, or "*"`);
      }
      continue;
    }
    if (side === 'to' && ctx.unreachable.has(name)) {
      r.warn(item, `node '${name}' has reachable: false, so calls to it through this rule always fail`);
    }
    if (!out.includes(name)) out.push(name);
  }
  return ok ? out : undefined;
}

function readServices(r: Reader, f: Field): DimseServiceName[] | undefined {
  const items = r.list(f);
  if (!items) return undefined;
  if (items.length === 0) {
    r.error(f, 'an empty services list allows nothing; remove the key to allow all services');
    return undefined;
  }
  const out: DimseServiceName[] = [];
  for (const item of items) {
    const s = r.oneOf(item, DIMSE_SERVICE_NAMES, 'service');
    if (s === undefined && item.value === null) r.error(item, 'expected a service name, got nothing');
    if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out;
}

export function readRules(r: Reader, f: Field, ctx: RuleContext): RuleConfig[] {
  const items = r.list(f) ?? [];
  const rules: RuleConfig[] = [];
  for (const item of items) {
    const m = r.map(item, RULE_KEYS);
    if (!m) {
      if (item.value === null) r.error(item, 'expected a rule (from, to, services), got nothing');
      continue;
    }
    const from = readNodeList(r, m.get('from'), ctx, 'from');
    const to = readNodeList(r, m.get('to'), ctx, 'to');
    const services = readServices(r, m.get('services'));
    if (!from || !to) continue;
    const rule: RuleConfig = { from, to };
    if (services) rule.services = services;
    rules.push(rule);
  }
  return rules;
}
