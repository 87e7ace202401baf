// The audit sink the runtime uses: fans each event out to the configured sinks (audit.file as
// JSONL, audit.syslog as DICOM audit messages), or does nothing when neither is configured.
import type tls from 'node:tls';
import type { AuditConfig } from '../config/types.ts';
import type { AuditEvent, AuditSink } from './events.ts';
import { JsonlAuditSink } from './sinks/jsonl.ts';
import { SyslogAuditSink } from './sinks/syslog.ts';

export { JsonlAuditSink } from './sinks/jsonl.ts';
export { SyslogAuditSink, formatSyslog, octetFrame } from './sinks/syslog.ts';
export { auditXml, escapeXml } from './audit-xml.ts';

export interface CreateAuditSinkOptions {
  /** The gateway's AE title (AuditSourceID of syslog messages). */
  aeTitle: string;
  /** TLS client material for syslog over TLS (build it from the gateway's tls config). */
  tlsOptions?: tls.ConnectionOptions;
  hostName?: string;
  /** Sink failures (disk, receiver away); called once per outage, never thrown. */
  onError?: (err: Error, sink: 'file' | 'syslog') => void;
  maxSpool?: number;
}

/** An AuditSink that can also reopen its files (SIGHUP, after logrotate). */
export interface GatewayAuditSink extends AuditSink {
  reopen(): Promise<void>;
  readonly sinks: readonly AuditSink[];
}

export class FanOutAuditSink implements GatewayAuditSink {
  readonly sinks: readonly AuditSink[];
  constructor(sinks: AuditSink[]) {
    this.sinks = sinks;
  }

  record(e: AuditEvent): void {
    for (const s of this.sinks) {
      try {
        s.record(e);
      } catch {
        // one broken sink must not stop the others, nor the relay
      }
    }
  }

  async reopen(): Promise<void> {
    await Promise.allSettled(this.sinks.map((s) => (s instanceof JsonlAuditSink ? s.reopen() : undefined)));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sinks.map((s) => s.close()));
  }
}

export function createAuditSink(cfg: AuditConfig, opts: CreateAuditSinkOptions): GatewayAuditSink {
  const sinks: AuditSink[] = [];
  if (cfg.file) {
    sinks.push(new JsonlAuditSink(cfg.file, { onError: (err) => opts.onError?.(err, 'file') }));
  }
  if (cfg.syslog) {
    sinks.push(
      new SyslogAuditSink({
        ...cfg.syslog,
        sourceId: opts.aeTitle,
        tlsOptions: opts.tlsOptions,
        hostName: opts.hostName,
        maxSpool: opts.maxSpool,
        onError: (err) => opts.onError?.(err, 'syslog'),
      }),
    );
  }
  // With no sinks the fan-out is the no-op sink.
  return new FanOutAuditSink(sinks);
}
