// Shared bits for the ops/TLS end-to-end tests: a per-file PKI minted with src/tls/pki.ts, a
// Prometheus text reader for /metrics, small HTTP helpers for the admin API, and polling.
import { X509Certificate } from 'node:crypto';
import { issueCertificate, type IssuedCertificate } from '../../src/tls/pki.ts';

export interface Pem {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as Node prints it (AA:BB:...). */
  fingerprint256: string;
}

const pem = (i: IssuedCertificate): Pem => ({ cert: i.certPem, key: i.keyPem, fingerprint256: new X509Certificate(i.certPem).fingerprint256 });

export interface TestPki {
  ca: Pem;
  /** Server/client certificate of the gateway (SAN localhost, 127.0.0.1). */
  gateway: Pem;
  /** A second gateway certificate from the same CA (certificate reload). */
  gateway2: Pem;
  /** Client certificates, CN = AE title. */
  clients: Record<string, Pem>;
  /** A certificate for `clients` names signed by another CA. */
  otherCa: Pem;
  foreign: Pem;
  /** CN = first client name but past its notAfter. */
  expired: Pem;
  /** Server certificate for a TLS node (SAN localhost, 127.0.0.1) with the given CN. */
  node(cn: string): Promise<Pem>;
}

/** ECDSA P-256 keys: quick to make, and every profile the gateway speaks accepts them. */
export async function mintPki(clientAes: string[]): Promise<TestPki> {
  const keyType = 'ec' as const;
  const ca = await issueCertificate({ commonName: 'ops test CA', ca: true, keyType });
  const leaf = (cn: string, extra: Partial<Parameters<typeof issueCertificate>[0]> = {}) =>
    issueCertificate({ commonName: cn, issuer: ca, keyType, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], days: 2, ...extra });
  const other = await issueCertificate({ commonName: 'some other CA', ca: true, keyType });
  const first = clientAes[0] ?? 'CLIENT';
  const [gateway, gateway2, foreign, expired] = await Promise.all([
    leaf('GATEWAY'),
    leaf('GATEWAY'),
    issueCertificate({ commonName: first, issuer: other, keyType, days: 2 }),
    leaf(first, { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }),
  ]);
  const clients: Record<string, Pem> = {};
  for (const ae of clientAes) clients[ae] = pem(await leaf(ae));
  return {
    ca: pem(ca),
    gateway: pem(gateway),
    gateway2: pem(gateway2),
    clients,
    otherCa: pem(other),
    foreign: pem(foreign),
    expired: pem(expired),
    node: async (cn) => pem(await leaf(cn)),
  };
}

// ---- Prometheus text ----------------------------------------------------------------------------

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export class Metrics {
  constructor(
    readonly samples: Sample[],
    readonly text: string,
  ) {}
  /** Sum over the series of `name` whose labels include `labels`; 0 when none. */
  get(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((a, s) => a + s.value, 0);
  }
  series(name: string): Record<string, string>[] {
    return this.samples.filter((s) => s.name === name).map((s) => s.labels);
  }
}

export async function scrape(adminUrl: string): Promise<Metrics> {
  const r = await fetch(`${adminUrl}/metrics`);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  const text = await r.text();
  return new Metrics(parseMetrics(text), text);
}

// ---- misc ---------------------------------------------------------------------------------------

/** Polls `check` until it returns truthy; throws with `what` after timeoutMs. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5000, stepMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The audit fields CONTRACT.md requires on every line. */
export const AUDIT_FIELDS = ['time', 'event', 'listener', 'peer', 'callingAe', 'calledAe', 'node', 'tlsSubject', 'outcome', 'reason'] as const;
