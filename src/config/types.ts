// The validated, typed configuration. Built by config/load.ts from YAML, immutable once built:
// a reload builds a new GatewayConfig and swaps the reference (STYLE rule 8). Every relative path
// is already resolved against the config file's folder. Durations are milliseconds.

/** PS3.15 Annex B secure transport connection profiles the gateway can speak. */
export type TlsProfileName =
  | 'bcp195-rfc8996' // B.12, the default
  | 'bcp195-rfc8996-modified' // B.13
  | 'bcp195-nd' // B.10, retired
  | 'bcp195' // B.9, retired
  | 'bcp195-ex'; // B.11, retired

export const TLS_PROFILE_NAMES: readonly TlsProfileName[] = [
  'bcp195-rfc8996',
  'bcp195-rfc8996-modified',
  'bcp195-nd',
  'bcp195',
  'bcp195-ex',
];

export type DimseServiceName = 'C-ECHO' | 'C-FIND' | 'C-MOVE' | 'C-GET' | 'C-STORE';
export const DIMSE_SERVICE_NAMES: readonly DimseServiceName[] = ['C-ECHO', 'C-FIND', 'C-MOVE', 'C-GET', 'C-STORE'];

export interface TlsConfig {
  cert: string; // absolute path, PEM (may hold the chain)
  key: string; // absolute path, PEM
  ca: string; // absolute path, PEM bundle
  profile: TlsProfileName;
}

export interface ListenerConfig {
  name: string;
  host: string; // default 0.0.0.0
  port: number;
  tls: boolean; // default false
  requireClientCert: boolean; // default true on TLS listeners, false otherwise
  profile?: TlsProfileName; // overrides tls.profile
  allowFrom?: string[]; // CIDRs; undefined = any
}

/** Identity a node's certificate must carry; all given fields must match. */
export interface CertificateIdentity {
  commonName?: string;
  dnsName?: string;
  uri?: string;
}

export interface NodeConfig {
  name: string; // the map key: the AE title callers use for it
  host: string;
  port: number; // 0 only when reachable is false and no port was given (never dialled)
  tls: boolean; // default false
  aeTitle?: string; // the node's real AE title (Called AE when calling it)
  callingAeTitle?: string; // Calling AE the gateway presents to this node; default the caller's
  checkHost: boolean; // default true
  rewriteMoveDestination: boolean; // default false
  bridgeGetToMove: boolean; // default false
  serverName?: string; // SNI / name to verify; default host
  certificate?: CertificateIdentity;
  reachable: boolean; // default true
  profile?: TlsProfileName; // overrides tls.profile
}

export interface RuleConfig {
  from: string[]; // node names or '*'
  to: string[]; // node names or '*'
  services?: DimseServiceName[]; // undefined = all
}

export interface AdminConfig {
  host: string; // default 127.0.0.1
  port: number; // default 9090
  token?: string; // bearer token for /api/*
}

export interface LimitsConfig {
  maxAssociations: number; // 256
  maxAssociationsPerNode: number; // 32
  artimMs: number; // 30000
  connectTimeoutMs: number; // 10000
  idleMs: number; // 900000
  shutdownGraceMs: number; // 30000
  maxPduLength: number; // 0x51 cap the gateway advertises; 0 = pass through (default 0 = pass through)
}

export interface SyslogConfig {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp' | 'tls';
}

export interface AuditConfig {
  file?: string; // absolute path
  syslog?: SyslogConfig;
}

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface GatewayConfig {
  /** Absolute path of the YAML file this was loaded from ('' when built in code). */
  file: string;
  aeTitle: string;
  tls?: TlsConfig;
  listeners: ListenerConfig[];
  nodes: Map<string, NodeConfig>; // keyed by node name (AE title as callers use it), insertion order kept
  rules: RuleConfig[];
  admin: AdminConfig;
  limits: LimitsConfig;
  audit: AuditConfig;
  log: LogConfig;
}

/** One problem found in a config file, printed as `FILE:LINE:COL: path.to.field: message`. */
export interface ConfigIssue {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  path: string; // e.g. 'nodes.PACS.port'
  message: string;
  severity: 'error' | 'warning';
}

export function formatIssue(i: ConfigIssue): string {
  const w = i.severity === 'warning' ? 'warning: ' : '';
  return `${i.file}:${i.line}:${i.col}: ${i.path}: ${w}${i.message}`;
}
