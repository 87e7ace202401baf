// Gateway config for interop tests, built as an object and written as JSON (a JSON document is
// valid YAML, so the real loader reads it). Every address is loopback; listener and admin ports
// are free ports unless given.
import { freePort } from './ports.ts';
import { startGateway } from './gateway.ts';
import type { RunningGateway } from './gateway.ts';

export interface InteropNode {
  host?: string; // default 127.0.0.1
  port?: number; // omit for callers that are never dialled (with reachable: false)
  tls?: boolean;
  aeTitle?: string;
  callingAeTitle?: string;
  checkHost?: boolean;
  rewriteMoveDestination?: boolean;
  bridgeGetToMove?: boolean;
  serverName?: string;
  certificate?: { commonName?: string; dnsName?: string; uri?: string };
  reachable?: boolean;
  profile?: string;
}

export interface InteropListener {
  name: string;
  port?: number; // default: a free port
  tls?: boolean;
  requireClientCert?: boolean;
  profile?: string;
  allowFrom?: string[];
}

export interface InteropSpec {
  aeTitle?: string; // default GATEWAY
  tls?: { cert: string; key: string; ca: string; profile?: string };
  listeners?: InteropListener[]; // default one plain listener "lan"
  nodes: Record<string, InteropNode>;
  rules: { from: string[]; to: string[]; services?: string[] }[];
  limits?: Record<string, number>;
  audit?: boolean; // default true: audit.jsonl next to the config
  logLevel?: string; // default warn
}

export async function interopConfig(spec: InteropSpec): Promise<string> {
  const listeners = [];
  for (const l of spec.listeners ?? [{ name: 'lan' }]) {
    listeners.push({ ...l, host: '127.0.0.1', port: l.port ?? (await freePort()) });
  }
  const nodes: Record<string, unknown> = {};
  for (const [name, n] of Object.entries(spec.nodes)) nodes[name] = { host: '127.0.0.1', ...n };
  const config = {
    aeTitle: spec.aeTitle ?? 'GATEWAY',
    ...(spec.tls ? { tls: spec.tls } : {}),
    listeners,
    nodes,
    rules: spec.rules,
    admin: { host: '127.0.0.1', port: await freePort() },
    // Short timeouts keep the "node down" and failure cases fast.
    limits: { connectTimeoutMs: 3000, artimMs: 10_000, shutdownGraceMs: 0, ...spec.limits },
    ...(spec.audit === false ? {} : { audit: { file: 'audit.jsonl' } }),
    log: { level: spec.logLevel ?? 'warn' },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/** Starts the gateway in-process on a config built from `spec` (GATEWAY_TEST_LOG overrides the log level). */
export async function startInteropGateway(spec: InteropSpec): Promise<RunningGateway> {
  return startGateway(await interopConfig(spec), { logLevel: spec.logLevel ?? 'warn' });
}
