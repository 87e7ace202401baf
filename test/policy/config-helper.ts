// Builds GatewayConfig values in code with the CONTRACT defaults filled in, so policy tests do not
// depend on the YAML loader.
import type { GatewayConfig, ListenerConfig, NodeConfig, RuleConfig } from '../../src/config/types.ts';
import type { PeerIdentity } from '../../src/policy/identity.ts';

export type NodeInput = Partial<NodeConfig> & { host: string };

export function node(name: string, n: NodeInput): NodeConfig {
  return {
    name,
    port: 104,
    tls: false,
    checkHost: true,
    rewriteMoveDestination: false,
    bridgeGetToMove: false,
    reachable: true,
    ...n,
  };
}

export function listener(l: Partial<ListenerConfig> = {}): ListenerConfig {
  const tls = l.tls ?? false;
  return { name: tls ? 'secure' : 'lan', host: '0.0.0.0', port: tls ? 2762 : 11112, tls, requireClientCert: tls, ...l };
}

export interface ConfigInput {
  aeTitle?: string;
  nodes?: Record<string, NodeInput>;
  rules?: RuleConfig[];
  listeners?: ListenerConfig[];
  maxAssociations?: number;
  maxAssociationsPerNode?: number;
}

export function config(c: ConfigInput = {}): GatewayConfig {
  const nodes = new Map<string, NodeConfig>();
  for (const [name, n] of Object.entries(c.nodes ?? {})) nodes.set(name, node(name, n));
  return {
    file: '',
    aeTitle: c.aeTitle ?? 'GATEWAY',
    listeners: c.listeners ?? [listener(), listener({ tls: true })],
    nodes,
    rules: c.rules ?? [],
    admin: { host: '127.0.0.1', port: 9090 },
    limits: {
      maxAssociations: c.maxAssociations ?? 256,
      maxAssociationsPerNode: c.maxAssociationsPerNode ?? 32,
      artimMs: 30000,
      connectTimeoutMs: 10000,
      idleMs: 900000,
      shutdownGraceMs: 30000,
      maxPduLength: 0,
    },
    audit: {},
    log: { level: 'silent' },
  };
}

export function peer(p: Partial<PeerIdentity> = {}): PeerIdentity {
  return { subject: p.commonName !== undefined ? `CN=${p.commonName}` : 'O=none', dnsNames: [], uris: [], ipAddresses: [], ...p };
}
