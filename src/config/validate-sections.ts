// The single-mapping sections: tls, admin, limits, audit, log, and the shared field readers.
import path from 'node:path';
import type { Field, Reader } from './reader.ts';
import { checkAeTitle } from './ae-title.ts';
import { isHost } from './net.ts';
import {
  TLS_PROFILE_NAMES,
  type AdminConfig,
  type AuditConfig,
  type LimitsConfig,
  type LogConfig,
  type SyslogConfig,
  type TlsConfig,
  type TlsProfileName,
} from './types.ts';

export const DEFAULT_TLS_PROFILE: TlsProfileName = 'bcp195-rfc8996';
export const DEFAULT_ADMIN: Readonly<AdminConfig> = { host: '127.0.0.1', port: 9090 };
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = {
  maxAssociations: 256,
  maxAssociationsPerNode: 32,
  artimMs: 30000,
  connectTimeoutMs: 10000,
  idleMs: 900000,
  shutdownGraceMs: 30000,
  maxPduLength: 0,
};
export const LOG_LEVELS: readonly LogConfig['level'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const RETIRED_PROFILES: readonly TlsProfileName[] = ['bcp195-nd', 'bcp195', 'bcp195-ex'];

// Node timers fire at once when given more than 2^31-1 ms, so larger durations are refused.
const MAX_DURATION = 2147483647;
// A-ASSOCIATE max length field is 4 bytes (PS3.8 D.1); below 4096 only fragments, as DCMTK's
// ASC_MINIMUMPDUSIZE also holds.
const MIN_PDU = 4096;
const MAX_PDU = 0xffffffff;

export function readPort(r: Reader, f: Field): number | undefined {
  return r.integer(f, 1, 65535, 'a port is 1..65535');
}

export function readAeTitle(r: Reader, f: Field): string | undefined {
  const s = r.string(f);
  if (s === undefined) return undefined;
  const c = checkAeTitle(s);
  if (c.ok) return c.title;
  r.error(f, c.reason);
  return undefined;
}

export function readHost(r: Reader, f: Field): string | undefined {
  const s = r.string(f)?.trim();
  if (s === undefined) return undefined;
  if (isHost(s)) return s;
  r.error(f, `'${s}' is not an IP address or host name`);
  return undefined;
}

export function readProfile(r: Reader, f: Field): TlsProfileName | undefined {
  const p = r.oneOf(f, TLS_PROFILE_NAMES, 'TLS profile');
  if (p && RETIRED_PROFILES.includes(p)) {
    r.warn(f, `'${p}' is a retired PS3.15 profile; use it only for peers that cannot do bcp195-rfc8996`);
  }
  return p;
}

function readPath(r: Reader, f: Field, baseDir: string): string | undefined {
  const s = r.string(f);
  if (s === undefined) return undefined;
  if (s.trim() === '') {
    r.error(f, 'a file path must not be empty');
    return undefined;
  }
  return path.resolve(baseDir, s);
}

function required<T>(r: Reader, f: Field, v: T | undefined): T | undefined {
  if (f.value === null) r.missing(f);
  return v;
}

export function readTls(r: Reader, f: Field, baseDir: string): TlsConfig | undefined {
  const m = r.map(f, ['cert', 'key', 'ca', 'profile']);
  if (!m) return undefined;
  const cert = required(r, m.get('cert'), readPath(r, m.get('cert'), baseDir));
  const key = required(r, m.get('key'), readPath(r, m.get('key'), baseDir));
  const ca = required(r, m.get('ca'), readPath(r, m.get('ca'), baseDir));
  const profile = readProfile(r, m.get('profile')) ?? DEFAULT_TLS_PROFILE;
  if (cert === undefined || key === undefined || ca === undefined) return undefined;
  return { cert, key, ca, profile };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The admin settings, and the field to point at when its port clashes with a listener. */
export function readAdmin(r: Reader, f: Field): { admin: AdminConfig; portField: Field } {
  const m = r.map(f, ['host', 'port', 'token']);
  const admin: AdminConfig = { ...DEFAULT_ADMIN };
  if (!m) return { admin, portField: { ...f, path: 'admin.port' } };
  const portField = m.get('port');
  admin.host = readHost(r, m.get('host')) ?? admin.host;
  admin.port = readPort(r, portField) ?? admin.port;
  const tokenField = m.get('token');
  let unset: string[] = [];
  const token = r.string(tokenField, { unset: (names) => (unset = names) });
  if (token !== undefined && token !== '') admin.token = token;
  // An unset variable here means "no token", so the shipped config runs without one.
  if (admin.token === undefined && tokenField.value !== null) {
    const why = unset.length > 0 ? `${unset.join(', ')} is not set` : 'the token is empty';
    const exposure = isLoopback(admin.host) ? `local users on ${admin.host}` : `anyone who can reach ${admin.host}`;
    r.warn(tokenField, `${why}: /api/* (including reload) needs no token and is open to ${exposure}`);
  } else if (admin.token === undefined && !isLoopback(admin.host)) {
    r.warn(m.get('host'), `the admin API listens on ${admin.host} without a token: anyone who can reach it may call /api/* (set admin.token)`);
  }
  return { admin, portField: portField.value ? portField : { ...portField, at: f.keyAt ?? f.at } };
}

export function readLimits(r: Reader, f: Field): LimitsConfig {
  const limits: LimitsConfig = { ...DEFAULT_LIMITS };
  const m = r.map(f, Object.keys(DEFAULT_LIMITS));
  if (!m) return limits;
  const positive = (k: 'maxAssociations' | 'maxAssociationsPerNode'): void => {
    limits[k] = r.integer(m.get(k), 1, Number.MAX_SAFE_INTEGER, 'must be a positive integer') ?? limits[k];
  };
  const duration = (k: 'artimMs' | 'connectTimeoutMs' | 'idleMs' | 'shutdownGraceMs'): void => {
    limits[k] = r.integer(m.get(k), 0, MAX_DURATION, `milliseconds, 0..${MAX_DURATION}`) ?? limits[k];
  };
  positive('maxAssociations');
  positive('maxAssociationsPerNode');
  duration('artimMs');
  duration('connectTimeoutMs');
  duration('idleMs');
  duration('shutdownGraceMs');
  const pduField = m.get('maxPduLength');
  const pdu = r.integer(pduField, 0, MAX_PDU, `0 (pass through) or ${MIN_PDU}..${MAX_PDU}`);
  if (pdu !== undefined && pdu > 0 && pdu < MIN_PDU) {
    r.error(pduField, `${pdu} is out of range: 0 (pass through) or ${MIN_PDU}..${MAX_PDU}`);
  } else if (pdu !== undefined) {
    limits.maxPduLength = pdu;
  }
  return limits;
}

function readSyslog(r: Reader, f: Field): SyslogConfig | undefined {
  const m = r.map(f, ['host', 'port', 'protocol']);
  if (!m) return undefined;
  const host = required(r, m.get('host'), readHost(r, m.get('host')));
  const protocol = r.oneOf(m.get('protocol'), ['udp', 'tcp', 'tls'] as const, 'syslog protocol') ?? 'udp';
  // RFC 5426 / 6587 use 514, RFC 5425 (syslog over TLS) 6514.
  const port = readPort(r, m.get('port')) ?? (protocol === 'tls' ? 6514 : 514);
  return host === undefined ? undefined : { host, port, protocol };
}

export function readAudit(r: Reader, f: Field, baseDir: string): AuditConfig {
  const audit: AuditConfig = {};
  const m = r.map(f, ['file', 'syslog']);
  if (!m) return audit;
  const file = readPath(r, m.get('file'), baseDir);
  if (file !== undefined) audit.file = file;
  const syslog = readSyslog(r, m.get('syslog'));
  if (syslog) audit.syslog = syslog;
  return audit;
}

export function readLog(r: Reader, f: Field): LogConfig {
  const m = r.map(f, ['level']);
  return { level: (m && r.oneOf(m.get('level'), LOG_LEVELS, 'log level')) ?? 'info' };
}

