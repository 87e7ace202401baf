// Shared plumbing for test/e2e: a YAML builder for a loopback gateway (free ports, plain listener
// "lan", audit file) and metric readers. Every address is 127.0.0.1.
import { freePorts } from './ports.ts';
import { startGateway, type RunningGateway } from './gateway.ts';

export interface NodeSpec {
  port: number;
  host?: string;
  aeTitle?: string;
  callingAeTitle?: string;
  checkHost?: boolean;
  reachable?: boolean;
}

export interface RuleSpec {
  from: string[];
  to: string[];
  services?: string[];
}

export interface E2eSpec {
  aeTitle?: string;
  nodes: Record<string, NodeSpec>;
  rules: RuleSpec[];
  limits?: Record<string, number>;
}

export async function gatewayYaml(spec: E2eSpec): Promise<string> {
  const [listenerPort, adminPort] = await freePorts(2);
  const lines: string[] = [`aeTitle: ${spec.aeTitle ?? 'GATEWAY'}`, 'listeners:', '  - name: lan', '    host: 127.0.0.1', `    port: ${listenerPort}`, 'nodes:'];
  for (const [name, n] of Object.entries(spec.nodes)) {
    lines.push(`  ${name}:`, `    host: ${n.host ?? '127.0.0.1'}`, `    port: ${n.port}`);
    if (n.aeTitle !== undefined) lines.push(`    aeTitle: ${JSON.stringify(n.aeTitle)}`);
    if (n.callingAeTitle !== undefined) lines.push(`    callingAeTitle: ${JSON.stringify(n.callingAeTitle)}`);
    if (n.checkHost !== undefined) lines.push(`    checkHost: ${n.checkHost}`);
    if (n.reachable !== undefined) lines.push(`    reachable: ${n.reachable}`);
  }
  lines.push('rules:');
  for (const r of spec.rules) {
    lines.push(`  - from: [${r.from.map((s) => JSON.stringify(s)).join(', ')}]`, `    to: [${r.to.map((s) => JSON.stringify(s)).join(', ')}]`);
    if (r.services) lines.push(`    services: [${r.services.join(', ')}]`);
  }
  lines.push('admin:', '  host: 127.0.0.1', `  port: ${adminPort}`, 'audit:', '  file: audit.jsonl', 'log:', '  level: silent');
  const limits = { artimMs: 2000, connectTimeoutMs: 2000, shutdownGraceMs: 0, ...spec.limits };
  lines.push('limits:', ...Object.entries(limits).map(([k, v]) => `  ${k}: ${v}`));
  return lines.join('\n') + '\n';
}

export async function startE2eGateway(spec: E2eSpec): Promise<RunningGateway> {
  return startGateway(await gatewayYaml(spec));
}

/** Current value of a counter/gauge with exactly these labels (0 when never touched). */
export async function metricValue(gw: RunningGateway, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = gw.metrics.registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const data = await m.get();
  const want = Object.entries(labels);
  let sum = 0;
  for (const v of data.values) {
    const l = v.labels as Record<string, string | number>;
    if (want.every(([k, val]) => String(l[k]) === val) && !('le' in l)) sum += v.value;
  }
  return sum;
}

/** Audit lines of one event kind. */
export async function auditOf(gw: RunningGateway, event: string): Promise<Record<string, unknown>[]> {
  return (await gw.auditLines()).filter((l) => l.event === event);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
