// One snapshot of what the status page shows, built from AdminDeps. GET / renders it as HTML and
// GET /api/status returns it as JSON, so both always agree. AE titles and counts only: nothing
// here comes from a data set.
import type { AdminDeps, AssociationInfo, CertificateStatus, GatewayPhase, RejectionInfo } from './types.ts';

export interface ListenerStatus {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  requireClientCert: boolean;
  bound: boolean;
}

export interface NodeView {
  name: string;
  configured: boolean; // false: removed by a reload, still reported by the runtime
  aeTitle: string | null; // the node's real AE title when it differs from the name
  host: string;
  port: number; // 0: never dialled (reachable false and no port configured)
  tls: boolean;
  reachable: boolean; // config: false = behind NAT, never called
  activeAssociations: number;
  lastReachable: { time: string; ok: boolean; error?: string } | null;
}

export interface RuleView {
  from: string[];
  to: string[];
  services: string[] | null; // null = all services
}

export interface StatusSnapshot {
  generatedAt: string;
  gateway: {
    aeTitle: string;
    version: string;
    startedAt: string;
    uptimeSeconds: number;
    ready: boolean;
    phase: GatewayPhase;
  };
  listeners: ListenerStatus[];
  nodes: NodeView[];
  rules: RuleView[];
  associations: AssociationInfo[];
  rejections: RejectionInfo[];
  certificates: CertificateStatus[];
}

/** Days left under which a certificate is highlighted on the page. */
export const CERT_WARN_DAYS = 14;

export function gatewayPhase(deps: AdminDeps): GatewayPhase {
  if (deps.phase) return deps.phase();
  return deps.ready() ? 'ready' : 'starting';
}

export function collectStatus(deps: AdminDeps, now: Date = new Date()): StatusSnapshot {
  const cfg = deps.config();
  const ready = deps.ready();
  const phase = ready ? 'ready' : gatewayPhase(deps) === 'draining' ? 'draining' : 'starting';

  const requireCert = new Map(cfg.listeners.map((l) => [l.name, l.tls && l.requireClientCert]));
  const listeners = deps.listeners().map((l) => ({ ...l, requireClientCert: requireCert.get(l.name) ?? false }));

  // Config order first; a node the runtime still reports after a reload removed it stays visible
  // (its associations are still running) with what the runtime knows.
  const runtime = new Map(deps.nodes().map((n) => [n.name, n]));
  const nodes: NodeView[] = [];
  for (const n of cfg.nodes.values()) {
    const rt = runtime.get(n.name);
    runtime.delete(n.name);
    nodes.push({
      name: n.name,
      configured: true,
      aeTitle: n.aeTitle !== undefined && n.aeTitle !== n.name ? n.aeTitle : null,
      host: n.host,
      port: n.port,
      tls: n.tls,
      reachable: n.reachable,
      activeAssociations: rt?.activeAssociations ?? 0,
      lastReachable: rt?.lastReachable ?? null,
    });
  }
  for (const rt of runtime.values()) {
    nodes.push({ name: rt.name, configured: false, aeTitle: null, host: '', port: 0, tls: false, reachable: false, activeAssociations: rt.activeAssociations, lastReachable: rt.lastReachable });
  }

  return {
    generatedAt: now.toISOString(),
    gateway: {
      aeTitle: cfg.aeTitle,
      version: deps.version,
      startedAt: deps.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((now.getTime() - deps.startedAt.getTime()) / 1000)),
      ready,
      phase,
    },
    listeners,
    nodes,
    rules: cfg.rules.map((r) => ({ from: [...r.from], to: [...r.to], services: r.services ? [...r.services] : null })),
    associations: deps.associations(),
    rejections: deps.rejections(),
    certificates: deps.certificates(),
  };
}
