// The running gateway: one config snapshot behind one reference, the listeners, TLS material, the
// association registry, metrics, audit and the admin server's view of it all. Reload builds and
// validates everything new first, then swaps (STYLE rule 8); associations already running keep the
// snapshot they started with.
import { lookup } from 'node:dns/promises';
import type tls from 'node:tls';
import type { GatewayConfig, ListenerConfig, NodeConfig, TlsProfileName } from '../config/types.ts';
import { formatIssue } from '../config/types.ts';
import { loadConfigFile } from '../config/load.ts';
import { createMetrics, type GatewayMetrics } from '../obs/metrics.ts';
import type { Logger } from '../obs/log.ts';
import { auditEvent } from '../audit/events.ts';
import { createAuditSink, type GatewayAuditSink } from '../audit/index.ts';
import type { AdminDeps, CertificateStatus, NodeStatus, ReloadResult } from '../admin/types.ts';
import { TlsStore } from '../tls/store.ts';
import { clientOptions, secureContextOptions, serverOptions } from '../tls/context.ts';
import { notAfter, subjectOf } from '../tls/material.ts';
import { describeTlsError, peerIdentityFromCertificate } from '../tls/peer.ts';
import { identityMatches, type PeerIdentity } from '../policy/identity.ts';
import { isIpLiteral } from '../policy/address.ts';
import { VERSION } from '../version.ts';
import { Association } from './association.ts';
import { AssociationRegistry } from './registry.ts';
import { PendingMoves } from './pending-moves.ts';
import { Listener, listenerKey } from './listener.ts';
import { connectToNode, type GatewaySocket } from './transport.ts';

export type Phase = 'starting' | 'ready' | 'draining' | 'stopped';

export interface GatewayOptions {
  log: Logger;
  metrics?: GatewayMetrics;
  env?: Record<string, string | undefined>;
}

export class Gateway {
  private cfg: GatewayConfig;
  phase: Phase = 'starting';
  readonly registry = new AssociationRegistry();
  readonly pendingMoves = new PendingMoves();
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  private audit: GatewayAuditSink;
  private tlsStore: TlsStore | null = null;
  private readonly listeners = new Map<string, Listener>();
  private resolvedHosts = new Map<string, string[]>();
  private readonly reachability = new Map<string, NodeStatus['lastReachable']>();
  private unwatchTls: (() => void) | null = null;
  readonly startedAt = new Date();

  private constructor(cfg: GatewayConfig, private readonly opts: GatewayOptions) {
    this.cfg = cfg;
    this.log = opts.log;
    this.metrics = opts.metrics ?? createMetrics();
    this.audit = this.makeAudit(cfg);
  }

  private makeAudit(cfg: GatewayConfig): GatewayAuditSink {
    const tlsOptions = cfg.audit.syslog?.protocol === 'tls' && this.tlsStore ? clientOptions(this.tlsStore.material, this.profileFor({}), { host: cfg.audit.syslog.host }) : undefined;
    return createAuditSink(cfg.audit, {
      aeTitle: cfg.aeTitle,
      tlsOptions,
      onError: (err, sink) => this.log.error({ err: err.message, sink }, 'audit sink failing; events are spooled or dropped'),
    });
  }

  /** Builds the gateway from a validated config and binds every listener. */
  static async start(cfg: GatewayConfig, opts: GatewayOptions): Promise<Gateway> {
    const gw = new Gateway(cfg, opts);
    if (cfg.tls) {
      gw.tlsStore = await TlsStore.create(cfg.tls);
      gw.watchTls();
      if (cfg.audit.syslog?.protocol === 'tls') gw.audit = gw.makeAudit(cfg);
    }
    gw.setExpiryGauges();
    gw.resolvedHosts = await resolveNodeHosts(cfg);
    try {
      for (const l of cfg.listeners) await gw.openListener(l);
    } catch (err) {
      await gw.closeListeners();
      throw err;
    }
    gw.phase = 'ready';
    gw.audit.record(auditEvent({ event: 'gateway-started', outcome: 'success', reason: `version ${VERSION}` }));
    return gw;
  }

  get config(): GatewayConfig {
    return this.cfg;
  }

  listenerPort(name: string): number {
    return this.listeners.get(name)?.port ?? 0;
  }

  // ---- listeners ------------------------------------------------------------------------------

  private async openListener(l: ListenerConfig): Promise<void> {
    this.listeners.set(l.name, await this.bindListener(l));
  }

  /** Binds a listener without registering it (reload stages new listeners before the swap). */
  private async bindListener(l: ListenerConfig): Promise<Listener> {
    const name = l.name;
    const current = () => this.cfg.listeners.find((x) => x.name === name) ?? l;
    const tlsOptions = l.tls ? serverOptions(this.tlsStore!.material, this.profileFor(l), l.requireClientCert) : null;
    const listener = new Listener(
      {
        config: current,
        log: this.log,
        accepting: () => this.phase === 'ready',
        handshakeTimeoutMs: () => this.cfg.limits.artimMs,
        peerIdentity: (s) => (s.authorized ? peerIdentityFromCertificate(s.getPeerCertificate()) : null),
        onConnection: (socket, tlsPeer) => this.onConnection(current(), socket, tlsPeer),
        onRefused: (socket, reason) => {
          this.metrics.connectionsRefusedTotal.inc({ listener: name, reason });
          this.log.warn({ listener: name, peer: socket.remoteAddress, reason }, 'connection refused before any PDU');
        },
        onTlsFailure: (err, peer) => this.onTlsFailure(name, err, peer),
      },
      tlsOptions,
    );
    await listener.open();
    return listener;
  }

  private onConnection(listener: ListenerConfig, socket: GatewaySocket, tlsPeer: PeerIdentity | null): void {
    const cfg = this.cfg;
    new Association(
      {
        config: cfg,
        listener,
        metrics: this.metrics,
        audit: this.audit,
        log: this.log,
        registry: this.registry,
        pendingMoves: this.pendingMoves,
        connectNode: (node) => this.connectNode(node, cfg),
        tlsPeer,
        resolvedHosts: this.resolvedHosts,
        onNodeReachability: (node, ok, error) => this.reachability.set(node, { time: new Date().toISOString(), ok, error }),
      },
      socket,
    );
  }

  private onTlsFailure(listener: string, err: Error, peer: string): void {
    const reason = describeTlsError(err);
    this.metrics.tlsHandshakeFailuresTotal.inc({ listener });
    this.log.warn({ listener, peer, err: err.message }, `TLS handshake failed: ${reason}`);
    this.audit.record(auditEvent({ event: 'tls-failure', outcome: 'failure', listener, peer, reason }));
  }

  private profileFor(x: { profile?: TlsProfileName }): TlsProfileName {
    return x.profile ?? this.cfg.tls?.profile ?? 'bcp195-rfc8996';
  }

  /** Opens TCP or TLS to a node; a TLS node's certificate must carry its configured identity. */
  private connectNode(node: NodeConfig, cfg: GatewayConfig): Promise<GatewaySocket> {
    return connectToNode({
      node,
      timeoutMs: cfg.limits.connectTimeoutMs,
      profile: this.profileFor(node),
      tlsOptions: (n, profile) => clientOptions(this.tlsStore!.material, profile, n) as tls.ConnectionOptions,
      verifyPeer: (socket) => {
        if (!node.certificate) return null;
        const r = identityMatches(node.certificate, peerIdentityFromCertificate(socket.getPeerCertificate()));
        if (r.ok) return null;
        const text = `node ${node.name} presented a certificate that does not match its configured identity: ${r.mismatch}`;
        this.audit.record(auditEvent({ event: 'certificate-failure', outcome: 'failure', node: node.name, peer: `${node.host}:${node.port}`, reason: text }));
        return text;
      },
    });
  }

  private async closeListeners(): Promise<void> {
    for (const l of this.listeners.values()) await l.close();
    this.listeners.clear();
  }

  // ---- TLS material ---------------------------------------------------------------------------

  private watchTls(): void {
    this.unwatchTls?.();
    this.unwatchTls = this.tlsStore!.watch((r) => {
      if (!r.ok) {
        this.log.error(`TLS files changed but cannot be used, keeping the old ones: ${r.error}`);
        return;
      }
      if (r.changed) {
        this.applySecureContexts();
        this.log.info('TLS material reloaded from disk');
      }
    });
  }

  private applySecureContexts(): void {
    if (!this.tlsStore) return;
    for (const l of this.cfg.listeners) {
      if (!l.tls) continue;
      this.listeners.get(l.name)?.setSecureContext(secureContextOptions(this.tlsStore.material, this.profileFor(l), 'server'));
    }
    this.setExpiryGauges();
  }

  private setExpiryGauges(): void {
    if (!this.tlsStore) return;
    const m = this.tlsStore.material;
    this.metrics.certificateExpiryTimestampSeconds.set({ certificate: 'gateway' }, notAfter(m.cert).getTime() / 1000);
    // The CA that expires first is the one that will break verification first.
    const ca = m.cas.map((c) => notAfter(c).getTime()).sort((a, b) => a - b)[0];
    if (ca !== undefined) this.metrics.certificateExpiryTimestampSeconds.set({ certificate: 'ca' }, ca / 1000);
  }

  // ---- reload ---------------------------------------------------------------------------------

  private reloading: Promise<ReloadResult> | null = null;

  /** Re-reads the config file and TLS material; all-or-nothing. Serialized. */
  reload(): Promise<ReloadResult> {
    const run = async (): Promise<ReloadResult> => {
      let r: ReloadResult;
      try {
        r = await this.reloadOnce();
      } catch (err) {
        r = { ok: false, issues: [{ file: this.cfg.file, line: 1, col: 1, path: '(root)', message: `reload failed: ${(err as Error).message}`, severity: 'error' }], message: 'config reload failed; the running config stays' };
      }
      this.metrics.configReloadsTotal.inc({ result: r.ok ? 'success' : 'failure' });
      this.audit.record(auditEvent({ event: 'config-reload', outcome: r.ok ? 'success' : 'failure', reason: r.message }));
      if (r.ok) this.log.info({ warnings: r.issues.map(formatIssue) }, r.message);
      else this.log.error({ errors: r.issues.map(formatIssue) }, r.message);
      return r;
    };
    const p = (this.reloading ?? Promise.resolve()).then(run, run);
    this.reloading = p;
    return p;
  }

  private async reloadOnce(): Promise<ReloadResult> {
    const { config: next, issues } = await loadConfigFile(this.cfg.file, this.opts.env ?? process.env);
    if (!next) return { ok: false, issues, message: 'config reload failed; the running config stays' };
    const tlsIssue = (message: string) => ({ file: next.file, line: 1, col: 1, path: 'tls', message, severity: 'error' as const });
    // TLS first: a broken certificate must leave everything as it was.
    let newStore: TlsStore | null = null;
    if (next.tls) {
      if (this.tlsStore) {
        const r = await this.tlsStore.reload(next.tls);
        if (!r.ok) return { ok: false, issues: [tlsIssue(r.error)], message: 'config reload failed (TLS); the running config stays' };
      } else {
        try {
          newStore = await TlsStore.create(next.tls);
        } catch (err) {
          return { ok: false, issues: [tlsIssue(String((err as Error).message))], message: 'config reload failed (TLS); the running config stays' };
        }
      }
    }
    const resolved = await resolveNodeHosts(next);
    // Listeners that must be (re)bound are tried before anything is swapped.
    const old = this.cfg;
    const oldKeys = new Map(old.listeners.map((l) => [l.name, listenerKey(l)]));
    const toOpen = next.listeners.filter((l) => oldKeys.get(l.name) !== listenerKey(l));
    const toClose = old.listeners.filter((l) => !next.listeners.some((n) => n.name === l.name && listenerKey(n) === listenerKey(l)));
    // New listeners are bound before the swap, so one that cannot bind leaves the old config in
    // place. One that reuses the address of a listener being closed can only bind after it.
    const sameAddress = (a: ListenerConfig) => toClose.some((c) => c.port === a.port && c.host === a.host);
    const staged = new Map<string, Listener>();
    if (newStore) this.tlsStore = newStore;
    for (const l of toOpen.filter((x) => !sameAddress(x))) {
      try {
        staged.set(l.name, await this.bindListener(l));
      } catch (err) {
        for (const s of staged.values()) await s.close();
        return { ok: false, issues: [{ file: next.file, line: 1, col: 1, path: `listeners.${l.name}`, message: (err as Error).message, severity: 'error' }], message: 'config reload failed (listener); the running config stays' };
      }
    }
    this.cfg = next;
    this.resolvedHosts = resolved;
    if (next.log.level !== this.log.level) this.log.level = next.log.level;
    if (JSON.stringify(next.audit) !== JSON.stringify(old.audit)) {
      const oldAudit = this.audit;
      this.audit = this.makeAudit(next);
      void oldAudit.close();
    } else {
      await this.audit.reopen(); // after logrotate moved the file away
    }
    for (const l of toClose) {
      await this.listeners.get(l.name)?.close();
      this.listeners.delete(l.name);
    }
    for (const [name, listener] of staged) this.listeners.set(name, listener);
    const failures: string[] = [];
    for (const l of toOpen.filter(sameAddress)) {
      try {
        await this.openListener(l);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (newStore) this.watchTls();
    this.applySecureContexts();
    if (failures.length) {
      return {
        ok: false,
        issues: failures.map((m) => ({ file: next.file, line: 1, col: 1, path: 'listeners', message: m, severity: 'error' as const })),
        message: 'config reloaded, but a listener moved to a new address could not be opened there',
      };
    }
    return { ok: true, issues, message: `config reloaded: ${next.listeners.length} listeners, ${next.nodes.size} nodes, ${next.rules.length} rules` };
  }

  // ---- drain and stop -------------------------------------------------------------------------

  /** Stop accepting, give running associations graceMs to finish, abort the rest. */
  async drain(graceMs = this.cfg.limits.shutdownGraceMs): Promise<{ finished: number; aborted: number }> {
    this.phase = 'draining';
    await this.closeListeners();
    const open = this.registry.all();
    this.log.info({ open: open.length, graceMs }, 'draining: listeners closed, waiting for associations');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    const all = Promise.all(open.map((a) => a.closed)).then(() => 'done' as const);
    const r = await Promise.race([all, deadline]);
    clearTimeout(timer);
    let aborted = 0;
    if (r === 'timeout') {
      for (const a of this.registry.all()) {
        a.abort('shutdown grace period over');
        aborted++;
      }
      // unref: this backstop must not hold the process open once every association has closed.
      await Promise.race([Promise.all(open.map((a) => a.closed)), new Promise((res) => setTimeout(res, 2000).unref())]);
    }
    return { finished: open.length - aborted, aborted };
  }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    if (this.phase !== 'draining') await this.drain(0);
    this.unwatchTls?.();
    this.phase = 'stopped';
    this.audit.record(auditEvent({ event: 'gateway-stopped', outcome: 'success', reason: null }));
    await this.audit.close();
  }

  // ---- the admin server's view ------------------------------------------------------------------

  adminDeps(): AdminDeps {
    return {
      metrics: this.metrics,
      config: () => this.cfg,
      ready: () => this.phase === 'ready' && [...this.listeners.values()].every((l) => l.bound),
      // Without it /readyz and the status page call a draining gateway 'starting'.
      phase: () => (this.phase === 'draining' || this.phase === 'stopped' ? 'draining' : this.phase),
      associations: () => this.registry.infos(),
      rejections: () => this.registry.rejections(),
      nodes: () =>
        [...this.cfg.nodes.values()].map((n) => ({
          name: n.name,
          activeAssociations: this.registry.countForNode(n.name),
          lastReachable: this.reachability.get(n.name) ?? null,
        })),
      listeners: () =>
        this.cfg.listeners.map((l) => ({ name: l.name, host: l.host, port: this.listenerPort(l.name) || l.port, tls: l.tls, bound: this.listeners.get(l.name)?.bound ?? false })),
      certificates: () => this.certificates(),
      reload: () => this.reload(),
      startedAt: this.startedAt,
      version: VERSION,
    };
  }

  private certificates(): CertificateStatus[] {
    if (!this.tlsStore) return [];
    const m = this.tlsStore.material;
    const out: CertificateStatus[] = [];
    const add = (name: string, c: typeof m.cert) => {
      const na = notAfter(c);
      out.push({ name, subject: subjectOf(c), notAfter: na.toISOString(), daysLeft: Math.floor((na.getTime() - Date.now()) / 86400000) });
    };
    add('gateway', m.cert);
    m.cas.forEach((c, i) => add(i === 0 ? 'ca' : `ca-${i + 1}`, c));
    return out;
  }
}

/** Node host names resolved once per config, for checkHost on plain listeners (policy is pure). */
async function resolveNodeHosts(cfg: GatewayConfig): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    [...cfg.nodes.values()]
      .filter((n) => !isIpLiteral(n.host))
      .map(async (n) => {
        try {
          const addrs = await lookup(n.host, { all: true });
          out.set(n.host, addrs.map((a) => a.address));
        } catch {
          out.set(n.host, []);
        }
      }),
  );
  return out;
}
