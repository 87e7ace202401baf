// audit.syslog: DICOM audit messages (PS3.15 A.5 XML) in RFC 5424 syslog, sent over UDP (A.7,
// RFC 5426: one message per datagram), TCP (RFC 6587 octet counting) or TLS (A.6, RFC 5425).
// record() only appends to a bounded in-memory spool; a pump sends it, reconnecting with
// exponential backoff. Audit delivery must never block or break the relay: nothing here throws
// into the caller, and when the receiver is away for long the oldest messages are dropped and counted.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { hostname } from 'node:os';
import type { AuditEvent, AuditSink } from '../events.ts';
import type { SyslogConfig } from '../../config/types.ts';
import { auditXml, classify, OUTCOME } from '../audit-xml.ts';

export interface SyslogAuditSinkOptions extends SyslogConfig {
  /** The gateway's AE title: AuditSourceID of every message. */
  sourceId: string;
  /** TLS client material for protocol 'tls' (the gateway's cert/key/ca; servername defaults to host). */
  tlsOptions?: tls.ConnectionOptions;
  /** HOSTNAME field and the gateway's NetworkAccessPointID; default os.hostname(). */
  hostName?: string;
  appName?: string;
  enterpriseSiteId?: string;
  /** Messages held while the receiver is unreachable; beyond it the oldest are dropped. Default 1000. */
  maxSpool?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  connectTimeoutMs?: number;
  onError?: (err: Error) => void;
}

export interface SyslogSinkStats {
  sent: number;
  dropped: number;
  queued: number;
  connected: boolean;
  connectFailures: number;
}

/** PRI: facility 10 (security/authorization); severity 5 notice, 4 warning for failures. */
export const FACILITY_AUTHPRIV = 10;

// RFC 5426 3.2: an IPv4 UDP payload cannot exceed 65507 octets.
const MAX_UDP_PAYLOAD = 65507;

/** RFC 5424 header field: printable US-ASCII only, bounded, '-' when empty (NILVALUE). */
function headerField(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s === '' ? '-' : s;
}

export interface SyslogFormatOptions {
  sourceId: string;
  hostName: string;
  appName: string;
  procId: string;
  enterpriseSiteId?: string;
}

/** One RFC 5424 message whose MSG is the DICOM audit XML. */
export function formatSyslog(e: AuditEvent, o: SyslogFormatOptions): string {
  const failed = classify(e).outcome !== OUTCOME.success;
  const pri = FACILITY_AUTHPRIV * 8 + (failed ? 4 : 5);
  const t = new Date(e.time);
  const timestamp = Number.isNaN(t.getTime()) ? new Date().toISOString() : t.toISOString();
  const xml = auditXml(e, { sourceId: o.sourceId, hostName: o.hostName, processId: o.procId, enterpriseSiteId: o.enterpriseSiteId });
  // MSG without a BOM: the XML declaration names UTF-8, and RFC 5424 allows MSG-ANY.
  return `<${pri}>1 ${timestamp} ${headerField(o.hostName, 255)} ${headerField(o.appName, 48)} ${headerField(o.procId, 128)} DICOM+RFC3881 - ${xml}`;
}

/** RFC 6587 3.4.1 / RFC 5425 4.3 octet-counting framing: `MSG-LEN SP SYSLOG-MSG`. */
export function octetFrame(msg: string): Buffer {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export class SyslogAuditSink implements AuditSink {
  readonly #o: Required<Pick<SyslogAuditSinkOptions, 'maxSpool' | 'minBackoffMs' | 'maxBackoffMs' | 'connectTimeoutMs'>> & SyslogAuditSinkOptions;
  readonly #fmt: SyslogFormatOptions;
  #spool: string[] = [];
  #stats = { sent: 0, dropped: 0, connectFailures: 0 };
  #backoff: number;
  #retryTimer: NodeJS.Timeout | null = null;
  #socket: net.Socket | null = null;
  #connected = false;
  #waitingDrain = false;
  #udp: dgram.Socket | null = null;
  #udpBusy = false;
  #outage = false; // log the first failure of an outage only
  #closing = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: SyslogAuditSinkOptions) {
    // `??` per field: an explicit undefined (from a pass-through option) must not erase a default.
    this.#o = {
      ...opts,
      maxSpool: opts.maxSpool ?? 1000,
      minBackoffMs: opts.minBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    };
    this.#backoff = this.#o.minBackoffMs;
    this.#fmt = {
      sourceId: opts.sourceId,
      hostName: opts.hostName ?? hostname(),
      appName: opts.appName ?? 'dicom-tls-gateway',
      procId: String(process.pid),
      enterpriseSiteId: opts.enterpriseSiteId,
    };
  }

  get stats(): SyslogSinkStats {
    return { ...this.#stats, queued: this.#spool.length, connected: this.#connected };
  }

  record(e: AuditEvent): void {
    if (this.#closing) return;
    try {
      this.#spool.push(formatSyslog(e, this.#fmt));
      if (this.#spool.length > this.#o.maxSpool) {
        this.#spool.shift();
        this.#stats.dropped++;
      }
      this.#pump();
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Send what is spooled (waiting at most timeoutMs), then close the connection. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    if (!this.#isIdle()) {
      await new Promise<void>((resolve) => {
        // Not unref'd: the caller awaits close(), so this timer must keep the process alive.
        const t = setTimeout(resolve, timeoutMs);
        this.#idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#stats.dropped += this.#spool.length;
    this.#spool = [];
    const sock = this.#socket;
    if (sock && !sock.destroyed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => sock.destroy(), 1000);
        sock.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        sock.end();
      });
    }
    if (this.#udp) {
      const udp = this.#udp;
      this.#udp = null;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }

  #isIdle(): boolean {
    return this.#spool.length === 0 && !this.#udpBusy && !this.#waitingDrain;
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    if (this.#closed || this.#retryTimer) return;
    if (this.#spool.length === 0) return this.#notifyIdle();
    if (this.#o.protocol === 'udp') return this.#pumpUdp();
    if (!this.#socket) return this.#connect();
    if (!this.#connected || this.#waitingDrain) return;
    const sock = this.#socket;
    while (this.#spool.length > 0) {
      const msg = this.#spool.shift() as string;
      const more = sock.write(octetFrame(msg));
      this.#stats.sent++;
      if (!more) {
        this.#waitingDrain = true;
        sock.once('drain', () => {
          this.#waitingDrain = false;
          this.#pump();
        });
        return;
      }
    }
    this.#notifyIdle();
  }

  #pumpUdp(): void {
    if (this.#udpBusy) return;
    if (!this.#udp) {
      this.#udp = dgram.createSocket(net.isIPv6(this.#o.host) ? 'udp6' : 'udp4');
      this.#udp.on('error', (err) => this.#fail(err));
      this.#udp.unref();
    }
    const msg = this.#spool[0] as string;
    let buf = Buffer.from(msg, 'utf8');
    // A.7 / RFC 5426 3.2: oversize messages may be truncated; the XML then breaks, which is why
    // TLS is the recommended transport.
    if (buf.length > MAX_UDP_PAYLOAD) buf = buf.subarray(0, MAX_UDP_PAYLOAD);
    this.#udpBusy = true;
    this.#udp.send(buf, this.#o.port, this.#o.host, (err) => {
      this.#udpBusy = false;
      if (err) {
        this.#connectionFailed(err); // keep the message, retry after backoff
        return;
      }
      this.#spool.shift();
      this.#stats.sent++;
      this.#recovered();
      this.#pump();
    });
  }

  #connect(): void {
    const { host, port, protocol } = this.#o;
    let sock: net.Socket;
    try {
      sock =
        protocol === 'tls'
          ? tls.connect({ servername: net.isIP(host) ? undefined : host, ...this.#o.tlsOptions, host, port })
          : net.connect({ host, port });
    } catch (err) {
      this.#connectionFailed(err);
      return;
    }
    this.#socket = sock;
    sock.setTimeout(this.#o.connectTimeoutMs, () => sock.destroy(new Error(`syslog connect to ${host}:${port} timed out`)));
    sock.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      sock.setTimeout(0);
      sock.setKeepAlive(true, 60_000);
      this.#connected = true;
      this.#recovered();
      this.#pump();
    });
    sock.on('data', () => undefined); // receivers send nothing meaningful; keep the socket flowing
    let failure: unknown = null;
    sock.on('error', (err) => {
      failure = err;
    });
    sock.on('close', () => {
      const wasConnected = this.#connected;
      this.#socket = null;
      this.#connected = false;
      this.#waitingDrain = false;
      if (this.#closed) return;
      if (wasConnected && failure === null) {
        this.#pump(); // receiver closed an idle connection: reconnect only when there is work
        return;
      }
      this.#connectionFailed(failure ?? new Error(`syslog connection to ${host}:${port} closed`));
    });
  }

  #connectionFailed(err: unknown): void {
    this.#stats.connectFailures++;
    if (!this.#outage) {
      this.#outage = true;
      this.#fail(err);
    }
    if (this.#closed || this.#retryTimer) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, this.#o.maxBackoffMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#pump();
    }, delay);
    this.#retryTimer.unref();
  }

  #recovered(): void {
    this.#outage = false;
    this.#backoff = this.#o.minBackoffMs;
  }

  #fail(err: unknown): void {
    try {
      this.#o.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // a throwing error callback must not break the sink
    }
  }
}
