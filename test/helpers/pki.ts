// A throwaway PKI for TLS interop tests, minted with the openssl CLI (RSA: DCMTK 3.6.7's
// +py/+px TLS 1.2 suites are RSA-only, see dicom-facts 3.3). Every leaf carries both serverAuth
// and clientAuth plus SANs for localhost/127.0.0.1, so one cert serves either side of a connection.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './proc.ts';

export interface CertPair {
  cert: string; // PEM path
  key: string; // PEM path (unencrypted)
}

export interface TestPki {
  dir: string;
  ca: CertPair;
  /** Issues another leaf signed by this CA (name = file stem, CN defaults to name). */
  issue(name: string, o?: LeafOptions): Promise<CertPair>;
}

export interface LeafOptions {
  cn?: string;
  dns?: string[]; // default ['localhost']
  ips?: string[]; // default ['127.0.0.1']
  days?: number; // default 2
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run('openssl', args, { cwd, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

/** Creates `dir` with ca.crt/ca.key and returns an issuer for leaves. */
export async function mintCa(dir: string, cn = 'dicom-tls-gateway test CA'): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  let serial = 1;
  return {
    dir,
    ca,
    async issue(name: string, o: LeafOptions = {}): Promise<CertPair> {
      const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      const san = [...(o.dns ?? ['localhost']).map((d) => `DNS:${d}`), ...(o.ips ?? ['127.0.0.1']).map((i) => `IP:${i}`)];
      await writeFile(
        ext,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          ...(san.length ? [`subjectAltName=${san.join(',')}`] : []),
        ].join('\n') + '\n',
      );
      await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pair.key, '-out', csr, '-subj', `/CN=${o.cn ?? name}`], dir);
      await openssl(
        ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(1000 + serial++), '-days', String(o.days ?? 2), '-sha256', '-extfile', ext, '-out', pair.cert],
        dir,
      );
      return pair;
    },
  };
}

/** CA + a `server` leaf + one client leaf per peer name (CN = the name, like `certs init --peer`). */
export async function mintPki(dir: string, peers: readonly string[] = []): Promise<{ pki: TestPki; server: CertPair; peers: Record<string, CertPair> }> {
  const pki = await mintCa(dir);
  const server = await pki.issue('server');
  const out: Record<string, CertPair> = {};
  for (const p of peers) out[p] = await pki.issue(p);
  return { pki, server, peers: out };
}
