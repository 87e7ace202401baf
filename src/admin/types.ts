// What the admin server needs from the running gateway. The runtime (relay/gateway.ts) implements
// this; tests pass hand-built values. Keeps admin/ free of relay internals.
import type { GatewayConfig, ConfigIssue } from '../config/types.ts';
import type { GatewayMetrics } from '../obs/metrics.ts';

export interface AssociationInfo {
  id: string;
  listener: string;
  peerAddress: string; // 'ip:port'
  callingAe: string;
  calledAe: string;
  node: string | null; // null when answered by the gateway itself
  tlsPeerSubject: string | null;
  started: string; // ISO 8601
  bytesToNode: number;
  bytesToCaller: number;
  dimse: Record<string, number>; // requests by command, e.g. { 'C-STORE': 12 }
  state: string;
}

export interface RejectionInfo {
  time: string;
  listener: string;
  peerAddress: string;
  callingAe: string | null;
  calledAe: string | null;
  reason: string; // metric reason, e.g. 'calling-ae-not-recognized'
  message: string; // human detail
}

export interface NodeStatus {
  name: string;
  activeAssociations: number;
  lastReachable: { time: string; ok: boolean; error?: string } | null;
}

export interface CertificateStatus {
  name: 'gateway' | 'ca' | string;
  subject: string;
  notAfter: string; // ISO 8601
  daysLeft: number;
}

export interface ReloadResult {
  ok: boolean;
  issues: ConfigIssue[]; // errors when !ok, warnings when ok
  message: string;
}

/** Lifecycle phase; /readyz answers 503 with it while not 'ready'. */
export type GatewayPhase = 'starting' | 'ready' | 'draining';

export interface AdminDeps {
  metrics: GatewayMetrics;
  config: () => GatewayConfig; // the current snapshot
  ready: () => boolean; // listeners bound and config loaded, not draining
  // Optional, added for the admin server: tells 'starting' from 'draining' when not ready.
  // Without it a not-ready gateway reports 'starting'.
  phase?: () => GatewayPhase;
  associations: () => AssociationInfo[];
  rejections: () => RejectionInfo[]; // most recent first, bounded
  nodes: () => NodeStatus[];
  listeners: () => { name: string; host: string; port: number; tls: boolean; bound: boolean }[];
  certificates: () => CertificateStatus[];
  reload: () => Promise<ReloadResult>;
  startedAt: Date;
  version: string;
}
