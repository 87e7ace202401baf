// Loads and checks the gateway's TLS material (tls.cert, tls.key, tls.ca). loadTlsMaterial() is the
// strict path used at start and reload (first problem throws); checkTlsMaterial() runs the same
// checks but collects every finding for the `check` command.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TlsConfig } from '../config/types.ts';

export interface TlsMaterial {
  certPem: string; // the whole tls.cert file: leaf first, then any intermediates
  keyPem: string;
  caPem: string;
  cert: X509Certificate; // leaf
  chain: X509Certificate[]; // intermediates that followed the leaf in tls.cert
  cas: X509Certificate[]; // every certificate in tls.ca
  loadedAt: Date;
}

export type TlsMaterialErrorCode =
  | 'missing'
  | 'unreadable'
  | 'not-pem'
  | 'key-mismatch'
  | 'chain'
  | 'expired'
  | 'not-yet-valid';

export class TlsMaterialError extends Error {
  override readonly name = 'TlsMaterialError';
  constructor(
    readonly code: TlsMaterialErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

export interface CheckFinding {
  severity: 'error' | 'warning' | 'info';
  message: string;
  file?: string;
}

const DAY_MS = 86_400_000;
export const EXPIRY_WARNING_DAYS = 30;
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function readText(file: string, role: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TlsMaterialError('missing', `${role} file not found: ${file}`, file);
    throw new TlsMaterialError('unreadable', `${role} file cannot be read (${code ?? String(err)}): ${file}`, file);
  }
}

/** Every CERTIFICATE block of a PEM text; X509Certificate alone would parse only the first one. */
export function parseCertificates(pem: string, file: string, role: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new TlsMaterialError('not-pem', `${role} file holds no PEM certificate (-----BEGIN CERTIFICATE-----): ${file}`, file);
  }
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new TlsMaterialError('not-pem', `${role} file: certificate #${i + 1} does not parse (${(err as Error).message}): ${file}`, file);
    }
  });
}

function parseKey(pem: string, file: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new TlsMaterialError('not-pem', `key file holds no PEM private key (-----BEGIN PRIVATE KEY-----): ${file}`, file);
  }
  if (/ENCRYPTED/.test(pem)) {
    throw new TlsMaterialError('unreadable', `key file is passphrase-protected; the gateway needs an unencrypted key: ${file}`, file);
  }
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new TlsMaterialError('not-pem', `key file does not parse (${(err as Error).message}): ${file}`, file);
  }
}

export function subjectOf(c: X509Certificate): string {
  // X509Certificate.subject is DER order, one RDN per line; print most specific first (RFC 4514).
  return c.subject.split('\n').filter(Boolean).reverse().join(', ');
}

export function notAfter(c: X509Certificate): Date {
  return new Date(c.validTo);
}

export function notBefore(c: X509Certificate): Date {
  return new Date(c.validFrom);
}

function daysLeft(c: X509Certificate, now: Date): number {
  return Math.floor((notAfter(c).getTime() - now.getTime()) / DAY_MS);
}

function validityProblem(c: X509Certificate, now: Date, role: string, file: string): TlsMaterialError | undefined {
  if (notAfter(c) < now) {
    return new TlsMaterialError('expired', `${role} "${subjectOf(c)}" expired on ${notAfter(c).toISOString()}: ${file}`, file);
  }
  if (notBefore(c) > now) {
    return new TlsMaterialError('not-yet-valid', `${role} "${subjectOf(c)}" is not valid before ${notBefore(c).toISOString()}: ${file}`, file);
  }
  return undefined;
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false; // e.g. unsupported key type: treat as not issued
  }
}

/**
 * The path leaf -> intermediates (from tls.cert) -> anchor (from tls.ca), or an error naming the
 * certificate that no trusted CA signed. A tls.ca entry equal to the leaf counts as pinned.
 */
export function verifyChain(leaf: X509Certificate, chain: X509Certificate[], cas: X509Certificate[], file: string): X509Certificate[] {
  const path = [leaf];
  let current = leaf;
  const pool = [...chain];
  for (let depth = 0; depth < 10; depth++) {
    const anchor = cas.find((ca) => ca.fingerprint256 === current.fingerprint256 || issuedBy(current, ca));
    if (anchor) {
      if (anchor.fingerprint256 !== current.fingerprint256) path.push(anchor);
      return path;
    }
    const i = pool.findIndex((c) => issuedBy(current, c));
    if (i < 0) break;
    current = pool.splice(i, 1)[0] as X509Certificate;
    path.push(current);
  }
  throw new TlsMaterialError(
    'chain',
    `certificate "${subjectOf(current)}" (issuer "${current.issuer.split('\n').reverse().join(', ')}") is not signed by any CA in the ca file: ${file}`,
    file,
  );
}

interface Raw {
  certPem: string;
  keyPem: string;
  caPem: string;
  certs: X509Certificate[];
  key: KeyObject;
  cas: X509Certificate[];
}

async function readAll(tls: TlsConfig): Promise<Raw> {
  const [certPem, keyPem, caPem] = await Promise.all([
    readText(tls.cert, 'certificate'),
    readText(tls.key, 'key'),
    readText(tls.ca, 'ca'),
  ]);
  return {
    certPem,
    keyPem,
    caPem,
    certs: parseCertificates(certPem, tls.cert, 'certificate'),
    key: parseKey(keyPem, tls.key),
    cas: parseCertificates(caPem, tls.ca, 'ca'),
  };
}

function checkKey(cert: X509Certificate, key: KeyObject, tls: TlsConfig): void {
  let ok: boolean;
  try {
    ok = cert.checkPrivateKey(key);
  } catch {
    ok = false; // different key types throw instead of returning false
  }
  if (!ok) {
    throw new TlsMaterialError('key-mismatch', `key ${tls.key} does not match certificate "${subjectOf(cert)}" in ${tls.cert}`, tls.key);
  }
}

/** Reads and validates the three files; throws TlsMaterialError on the first problem. */
export async function loadTlsMaterial(tls: TlsConfig, now: Date = new Date()): Promise<TlsMaterial> {
  const raw = await readAll(tls);
  const [leaf, ...chain] = raw.certs as [X509Certificate, ...X509Certificate[]];
  checkKey(leaf, raw.key, tls);
  const path = verifyChain(leaf, chain, raw.cas, tls.ca);
  path.forEach((c, i) => {
    const role = i === 0 ? 'certificate' : i === path.length - 1 ? 'CA certificate' : 'intermediate certificate';
    const problem = validityProblem(c, now, role, i === path.length - 1 && path.length > 1 ? tls.ca : tls.cert);
    if (problem) throw problem;
  });
  return { certPem: raw.certPem, keyPem: raw.keyPem, caPem: raw.caPem, cert: leaf, chain, cas: raw.cas, loadedAt: now };
}

function finding(severity: CheckFinding['severity'], message: string, file?: string): CheckFinding {
  return file === undefined ? { severity, message } : { severity, message, file };
}

function fromError(err: unknown, fallbackFile: string): CheckFinding {
  if (err instanceof TlsMaterialError) return finding('error', err.message, err.file ?? fallbackFile);
  return finding('error', String(err), fallbackFile);
}

async function attempt<T>(fn: () => Promise<T> | T, out: CheckFinding[], file: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    out.push(fromError(err, file));
    return undefined;
  }
}

function validityFindings(c: X509Certificate, now: Date, role: string, file: string): CheckFinding[] {
  const problem = validityProblem(c, now, role, file);
  if (problem) return [finding('error', problem.message, file)];
  const days = daysLeft(c, now);
  if (days < EXPIRY_WARNING_DAYS) {
    return [finding('warning', `${role} "${subjectOf(c)}" expires in ${days} days (${notAfter(c).toISOString()})`, file)];
  }
  return [finding('info', `${role} "${subjectOf(c)}" valid until ${notAfter(c).toISOString()} (${days} days)`, file)];
}

/** Every finding for the `check` command; an 'error' means the gateway cannot use this material. */
export async function checkTlsMaterial(tls: TlsConfig, now: Date = new Date()): Promise<CheckFinding[]> {
  const out: CheckFinding[] = [];
  const certs = await attempt(async () => parseCertificates(await readText(tls.cert, 'certificate'), tls.cert, 'certificate'), out, tls.cert);
  const key = await attempt(async () => parseKey(await readText(tls.key, 'key'), tls.key), out, tls.key);
  const cas = await attempt(async () => parseCertificates(await readText(tls.ca, 'ca'), tls.ca, 'ca'), out, tls.ca);
  const leaf = certs?.[0];
  const chain = certs?.slice(1) ?? [];

  if (leaf && key) await attempt(() => checkKey(leaf, key, tls), out, tls.key);
  if (leaf && cas) {
    const path = await attempt(() => verifyChain(leaf, chain, cas, tls.ca), out, tls.cert);
    if (path) out.push(finding('info', `certificate chain verifies: ${path.map(subjectOf).map((s) => `"${s}"`).join(' <- ')}`, tls.cert));
  }
  if (leaf) {
    out.push(...validityFindings(leaf, now, 'certificate', tls.cert));
    out.push(...usageFindings(leaf, tls.cert));
  }
  for (const c of chain) {
    out.push(...validityFindings(c, now, 'intermediate certificate', tls.cert));
    // OpenSSL refuses a chain through a non-CA certificate, so peers would too.
    if (!c.ca) out.push(finding('error', `intermediate certificate "${subjectOf(c)}" in the cert file is not a CA (basicConstraints CA:true missing)`, tls.cert));
  }
  for (const ca of cas ?? []) {
    out.push(...validityFindings(ca, now, 'CA certificate', tls.ca));
    if (!ca.ca) {
      out.push(finding('warning', `ca file entry "${subjectOf(ca)}" is not a CA (basicConstraints CA:true missing): it cannot sign peer certificates`, tls.ca));
    }
  }
  return out;
}

/** The gateway certificate serves TLS listeners and is the client certificate towards TLS nodes. */
function usageFindings(leaf: X509Certificate, file: string): CheckFinding[] {
  if (leaf.ca) {
    return [finding('warning', `certificate "${subjectOf(leaf)}" is a CA certificate; peers may refuse it as an end-entity certificate`, file)];
  }
  const eku = leaf.keyUsage; // Node names the extendedKeyUsage OIDs `keyUsage`; undefined = no extension = any
  if (!eku || eku.length === 0) return [];
  const out: CheckFinding[] = [];
  if (!eku.includes(OID_SERVER_AUTH)) {
    out.push(finding('error', `certificate "${subjectOf(leaf)}" lacks extendedKeyUsage serverAuth: TLS callers will refuse it`, file));
  }
  if (!eku.includes(OID_CLIENT_AUTH)) {
    out.push(finding('error', `certificate "${subjectOf(leaf)}" lacks extendedKeyUsage clientAuth: TLS nodes will refuse it as client certificate`, file));
  }
  return out;
}
