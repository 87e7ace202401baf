// Hand-built AdminDeps with live-looking data, shared by the admin unit tests and the browser test.
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/obs/metrics.ts';
import type { GatewayConfig, NodeConfig } from '../../src/config/types.ts';
import type { AdminDeps, AssociationInfo, CertificateStatus, GatewayPhase, NodeStatus, RejectionInfo, ReloadResult } from '../../src/admin/types.ts';

export const HOSTILE_AE = `<script>alert(1)</script>"'&`;

function node(name: string, host: string, port: number, extra: Partial<NodeConfig> = {}): [string, NodeConfig] {
  return [name, { name, host, port, tls: false, checkHost: true, rewriteMoveDestination: false, bridgeGetToMove: false, reachable: true, ...extra }];
}

export function fakeConfig(token?: string): GatewayConfig {
  return {
    file: '/etc/gateway/gateway.yaml',
    aeTitle: 'GATEWAY',
    tls: { cert: '/etc/gateway/gateway.crt', key: '/etc/gateway/gateway.key', ca: '/etc/gateway/ca.crt', profile: 'bcp195-rfc8996' },
    listeners: [
      { name: 'secure', host: '0.0.0.0', port: 2762, tls: true, requireClientCert: true },
      { name: 'lan', host: '0.0.0.0', port: 11112, tls: false, requireClientCert: false, allowFrom: ['10.0.0.0/8'] },
    ],
    nodes: new Map([
      node('PACS', '10.1.2.3', 104, { aeTitle: 'LEGACY_PACS', rewriteMoveDestination: true }),
      node('CLOUD_AI', 'ai.example.org', 2762, { tls: true, reachable: false, certificate: { commonName: 'cloud-ai' } }),
      node('MODALITY_CT', '10.1.5.20', 104),
    ]),
    rules: [
      { from: ['CLOUD_AI'], to: ['PACS'], services: ['C-ECHO', 'C-FIND', 'C-MOVE', 'C-GET'] },
      { from: ['MODALITY_CT'], to: ['PACS'] },
    ],
    admin: token === undefined ? { host: '127.0.0.1', port: 9090 } : { host: '127.0.0.1', port: 9090, token },
    limits: { maxAssociations: 256, maxAssociationsPerNode: 32, artimMs: 30000, connectTimeoutMs: 10000, idleMs: 900000, shutdownGraceMs: 30000, maxPduLength: 0 },
    audit: {},
    log: { level: 'info' },
  };
}

export interface FakeState {
  token?: string;
  phase: GatewayPhase;
  reloadResult: ReloadResult;
  reloads: number;
  associations: AssociationInfo[];
  rejections: RejectionInfo[];
  nodes: NodeStatus[];
  certificates: CertificateStatus[];
}

export function fakeDeps(init: Partial<FakeState> = {}): { deps: AdminDeps; state: FakeState } {
  const now = Date.now();
  const iso = (agoMs: number): string => new Date(now - agoMs).toISOString();
  const state: FakeState = {
    phase: 'ready',
    reloads: 0,
    reloadResult: { ok: true, issues: [], message: 'config reloaded' },
    associations: [
      {
        id: 'a-000042',
        listener: 'secure',
        peerAddress: '203.0.113.7:53122',
        callingAe: 'CLOUD_AI',
        calledAe: 'PACS',
        node: 'PACS',
        tlsPeerSubject: 'CN=cloud-ai,O=Example AI',
        started: iso(95_000),
        bytesToNode: 1_572_864,
        bytesToCaller: 20_480,
        dimse: { 'C-FIND': 3, 'C-MOVE': 1 },
        state: 'relaying',
      },
    ],
    rejections: [
      {
        time: iso(30_000),
        listener: 'lan',
        peerAddress: '10.9.9.9:40000',
        callingAe: HOSTILE_AE,
        calledAe: 'PACS',
        reason: 'calling-ae-not-recognized',
        message: 'calling AE is not a configured node',
      },
      {
        time: iso(600_000),
        listener: 'secure',
        peerAddress: '198.51.100.4:61000',
        callingAe: 'CLOUD_AI',
        calledAe: 'MODALITY_CT',
        reason: 'not-allowed',
        message: 'no rule allows CLOUD_AI -> MODALITY_CT',
      },
    ],
    nodes: [
      { name: 'PACS', activeAssociations: 1, lastReachable: { time: iso(12_000), ok: true } },
      { name: 'CLOUD_AI', activeAssociations: 0, lastReachable: null },
      { name: 'MODALITY_CT', activeAssociations: 0, lastReachable: { time: iso(60_000), ok: false, error: 'connect ETIMEDOUT 10.1.5.20:104' } },
    ],
    certificates: [
      { name: 'gateway', subject: 'CN=gateway.hospital.example', notAfter: new Date(now + 9.5 * 86_400_000).toISOString(), daysLeft: 9.5 },
      { name: 'ca', subject: 'CN=Hospital Lab CA', notAfter: new Date(now + 3650 * 86_400_000).toISOString(), daysLeft: 3650 },
    ],
    ...init,
  };
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const deps: AdminDeps = {
    metrics,
    config: () => fakeConfig(state.token),
    ready: () => state.phase === 'ready',
    phase: () => state.phase,
    associations: () => state.associations,
    rejections: () => state.rejections,
    nodes: () => state.nodes,
    listeners: () => [
      { name: 'secure', host: '0.0.0.0', port: 2762, tls: true, bound: true },
      { name: 'lan', host: '0.0.0.0', port: 11112, tls: false, bound: true },
    ],
    certificates: () => state.certificates,
    reload: async () => {
      state.reloads++;
      return state.reloadResult;
    },
    startedAt: new Date(now - 3 * 3600_000 - 25 * 60_000),
    version: '0.1.0',
  };
  return { deps, state };
}
