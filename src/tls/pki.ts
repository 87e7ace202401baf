// `certs init` / `certs show` and the dev PKI bootstrap. A lab PKI: one CA, the gateway's
// certificate (server and client), one certificate per peer AE. Not a production CA: no CRL/OCSP.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { subjectOf, notAfter, notBefore } from './material.ts';
import { canonicalIp, parseSubjectAltName } from './peer.ts';
import { generateKey, issueCertificate, type IssuedCertificate, type KeyType } from './issue.ts';

export { issueCertificate, generateKey, type IssueOptions, type IssuedCertificate, type KeyType } from './issue.ts';

export interface CertsInitOptions {
  dir: string;
  gatewayName: string;
  peers: string[];
  force: boolean;
  /** Leaf validity in days (default 825, the CA/B limit browsers once enforced); the CA gets 10 years. */
  days?: number;
  /**
   * 'rsa' (default, 2048 bits): every DCMTK profile and Orthanc accept it, and DCMTK `+py`/`+px`
   * have RSA-only TLS 1.2 suites (facts §3.3). 'ec' = ECDSA P-256 for all certificates, for B.11/B.13
   * ECDSA tests; forge itself signs RSA only, so issue.ts signs with Node's crypto.
   */
  keyType?: KeyType;
  /** Extra IP SANs for the gateway certificate (its LAN/WAN addresses). */
  ipAddresses?: string[];
}

const ORG = 'dicom-tls-gateway dev PKI';
const DAY_MS = 86_400_000;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** AE titles become file names: refuse anything that could leave the directory or hide the file. */
function peerFileBase(ae: string): string {
  const t = ae.trim();
  if (t === '' || t.length > 16 || !/^[A-Za-z0-9_-][A-Za-z0-9_. -]*$/.test(t)) {
    throw new Error(`peer AE title ${JSON.stringify(ae)} cannot be a file name: use 1-16 letters, digits, '_', '-', '.' or spaces`);
  }
  return t;
}

/**
 * SAN DNS for a peer: the lowercased AE title when it is a valid host name label (lab hosts and
 * containers are often named after the AE), else none: underscores and spaces are not legal in DNS
 * names (RFC 5280 4.2.1.6 preferred name syntax), so such a SAN could never match a server name.
 * Identity binding uses the CN (= AE title, `certificate.commonName`) anyway.
 */
export function peerDnsName(ae: string): string | undefined {
  return hostName(ae);
}

/** The lowercased name if it is a DNS host name (LDH labels), else undefined. */
function hostName(name: string): string | undefined {
  const l = name.trim().toLowerCase();
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  return l.length <= 253 && isIP(l) === 0 && l.split('.').every((x) => label.test(x)) ? l : undefined;
}

async function writePair(dir: string, base: string, issued: IssuedCertificate, written: string[]): Promise<void> {
  const crt = join(dir, `${base}.crt`);
  const key = join(dir, `${base}.key`);
  await writeFile(crt, issued.certPem, { mode: 0o644 });
  await writeFile(key, issued.keyPem, { mode: 0o600 });
  // writeFile's mode applies only when the file is created; --force over an old key must not leave it readable.
  await chmod(key, 0o600);
  written.push(crt, key);
}

/** Creates ca.crt/ca.key, gateway.crt/gateway.key and AE.crt/AE.key per peer in opts.dir. */
export async function certsInit(opts: CertsInitOptions): Promise<{ written: string[] }> {
  const dir = resolve(opts.dir);
  const gatewayName = opts.gatewayName.trim();
  if (gatewayName === '') throw new Error('gateway name must not be empty');
  const peers = [...new Set(opts.peers.map(peerFileBase))];
  for (const p of peers) {
    if (p === 'ca' || p === 'gateway') throw new Error(`peer AE title "${p}" clashes with ${p}.crt of the PKI itself`);
  }
  for (const ip of opts.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new Error(`not an IP address: ${ip}`);
  }
  const bases = ['ca', 'gateway', ...peers];
  const targets = bases.flatMap((b) => [join(dir, `${b}.crt`), join(dir, `${b}.key`)]);
  if (!opts.force) {
    const present = (await Promise.all(targets.map(async (f) => ((await exists(f)) ? f : undefined)))).filter(
      (f): f is string => f !== undefined,
    );
    if (present.length > 0) {
      throw new Error(`refusing to overwrite existing files (use --force to replace them): ${present.join(', ')}`);
    }
  }
  await mkdir(dir, { recursive: true });

  const keyType = opts.keyType ?? 'rsa';
  // Keys are independent: generate them concurrently (forge hands RSA keygen to Node's threadpool).
  const keys = await Promise.all(bases.map(() => generateKey(keyType)));
  const keyOf = (i: number): string => keys[i] as string;
  const written: string[] = [];

  const ca = await issueCertificate({ commonName: `${gatewayName} dev CA`, organization: ORG, ca: true, keyPem: keyOf(0) });
  await writePair(dir, 'ca', ca, written);

  // Same rule as peers: a gateway name like MY_GATEWAY is a CN only, not a DNS SAN.
  const gatewayDns = [...new Set([hostName(gatewayName), 'localhost'])].filter((n): n is string => n !== undefined);
  const gateway = await issueCertificate({
    commonName: gatewayName,
    organization: ORG,
    dnsNames: gatewayDns,
    ipAddresses: [...new Set(['127.0.0.1', '::1', ...(isIP(gatewayName) ? [gatewayName] : []), ...(opts.ipAddresses ?? [])])],
    issuer: ca,
    keyPem: keyOf(1),
    ...(opts.days === undefined ? {} : { days: opts.days }),
  });
  await writePair(dir, 'gateway', gateway, written);

  for (const [i, ae] of peers.entries()) await writePair(dir, ae.trim(), await issuePeer(ae, ca, keyOf(2 + i), opts.days), written);
  return { written };
}

/** Peer certificate for an AE title, signed by the lab CA: CN = AE title, both usages. */
async function issuePeer(ae: string, ca: { certPem: string; keyPem: string }, keyPem: string, days?: number): Promise<IssuedCertificate> {
  const dns = peerDnsName(ae);
  return issueCertificate({
    commonName: ae,
    organization: ORG,
    // localhost/loopback: lab peers (DCMTK storescp, Orthanc in a container) often run on this host
    // and are called by the gateway as TLS servers, whose name the gateway verifies.
    dnsNames: dns && dns !== 'localhost' ? [dns, 'localhost'] : ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    // clientAuth and serverAuth: every TLS node both calls and is called (C-MOVE sub-operations).
    extKeyUsage: ['clientAuth', 'serverAuth'],
    issuer: ca,
    keyPem,
    ...(days === undefined ? {} : { days }),
  });
}

export interface CertsIssueOptions {
  dir: string;
  peers: string[];
  force: boolean;
  days?: number;
  keyType?: KeyType;
}

/** `certs issue`: more peer certificates from the CA that `certs init` made in opts.dir, so a new
 *  peer does not mean a new CA (which every existing peer would have to trust again). */
export async function certsIssue(opts: CertsIssueOptions): Promise<{ written: string[] }> {
  const dir = resolve(opts.dir);
  const caCrt = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  if (!(await exists(caCrt)) || !(await exists(caKey))) throw new Error(`no CA in ${dir} (ca.crt and ca.key): run certs init first`);
  const peers = [...new Set(opts.peers.map(peerFileBase))];
  if (peers.length === 0) throw new Error('name at least one --peer AE title');
  for (const p of peers) {
    if (p === 'ca' || p === 'gateway') throw new Error(`peer AE title "${p}" clashes with ${p}.crt of the PKI itself`);
  }
  if (!opts.force) {
    const targets = peers.flatMap((b) => [join(dir, `${b}.crt`), join(dir, `${b}.key`)]);
    const present = (await Promise.all(targets.map(async (f) => ((await exists(f)) ? f : undefined)))).filter((f): f is string => f !== undefined);
    if (present.length > 0) throw new Error(`refusing to overwrite existing files (use --force to replace them): ${present.join(', ')}`);
  }
  const ca = { certPem: await readFile(caCrt, 'utf8'), keyPem: await readFile(caKey, 'utf8') };
  const keys = await Promise.all(peers.map(() => generateKey(opts.keyType ?? 'rsa')));
  const written: string[] = [];
  for (const [i, ae] of peers.entries()) await writePair(dir, ae.trim(), await issuePeer(ae, ca, keys[i] as string, opts.days), written);
  return { written };
}

/** For `start` in dev setups: create the PKI only when the gateway's own material is missing. */
export async function ensureDevPki(opts: { dir: string; gatewayName: string; peers: string[] }): Promise<{ created: boolean; dir: string }> {
  const dir = resolve(opts.dir);
  const needed = ['ca.crt', 'gateway.crt', 'gateway.key'].map((f) => join(dir, f));
  const present = await Promise.all(needed.map(exists));
  if (present.every(Boolean)) return { created: false, dir };
  // force: false, so a half-present PKI (say ca.crt without gateway.key) fails loudly instead of
  // replacing a CA that peers may already trust.
  await certsInit({ dir, gatewayName: opts.gatewayName, peers: opts.peers, force: false });
  return { created: true, dir };
}

function describeKey(c: X509Certificate): string {
  const k = c.publicKey;
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === 'rsa') return `RSA ${d.modulusLength ?? '?'} bits`;
  if (k.asymmetricKeyType === 'ec') return `EC ${d.namedCurve ?? '?'}`;
  return String(k.asymmetricKeyType ?? 'unknown');
}

function validityLine(c: X509Certificate, now: Date): string {
  const left = Math.floor((notAfter(c).getTime() - now.getTime()) / DAY_MS);
  if (notBefore(c) > now) return `not yet valid (starts in ${Math.ceil((notBefore(c).getTime() - now.getTime()) / DAY_MS)} days)`;
  return left < 0 ? `EXPIRED ${-left} days ago` : `${left} days left`;
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
};

function describeCertificate(c: X509Certificate, now: Date): string[] {
  const sans = parseSubjectAltName(c.subjectAltName)
    .map((s) => (s.type === 'IP Address' ? `IP:${canonicalIp(s.value)}` : `${s.type}:${s.value}`))
    .join(', ');
  const eku = c.keyUsage;
  return [
    `  Subject:      ${subjectOf(c)}`,
    `  Issuer:       ${c.issuer.split('\n').filter(Boolean).reverse().join(', ')}`,
    `  SANs:         ${sans || '(none)'}`,
    `  Not before:   ${notBefore(c).toISOString()}`,
    `  Not after:    ${notAfter(c).toISOString()} (${validityLine(c, now)})`,
    `  SHA-256:      ${c.fingerprint256}`,
    `  Key:          ${describeKey(c)}`,
    `  CA:           ${c.ca ? 'yes' : 'no'}`,
    `  Serial:       ${c.serialNumber}`,
    ...(eku && eku.length > 0 ? [`  Ext. usage:   ${eku.map((o) => EKU_NAMES[o] ?? o).join(', ')}`] : []),
  ];
}

/** Human-readable summary of every certificate in a PEM file (a bundle may hold several). */
export async function certsShow(file: string, now: Date = new Date()): Promise<string> {
  const text = await readFile(file, 'utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      // A key file given by mistake: say what it is, never print it.
      const k = createPrivateKey(text);
      const d = k.asymmetricKeyDetails ?? {};
      const size = k.asymmetricKeyType === 'rsa' ? `${d.modulusLength} bits` : (d.namedCurve ?? '');
      return `${file}: private key (${k.asymmetricKeyType} ${size}), no certificate`;
    }
    throw new Error(`${file}: no PEM certificate found`);
  }
  const out: string[] = [];
  blocks.forEach((b, i) => {
    out.push(`${file}: certificate ${i + 1} of ${blocks.length}`);
    out.push(...describeCertificate(new X509Certificate(b), now));
  });
  return out.join('\n');
}
