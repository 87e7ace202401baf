// Mints X.509 certificates for the dev/lab PKI and for tests. node-forge builds the
// TBSCertificate (names, validity, extensions); Node's crypto supplies keys, the SubjectPublicKeyInfo
// and the signature. Forge signs and encodes public keys for RSA only, so with this split the same
// code also issues ECDSA P-256 certificates (needed for the ECDHE-ECDSA suites of B.11-B.13).
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const { asn1, pki } = forge;
type Asn1 = forge.asn1.Asn1;

export type KeyType = 'rsa' | 'ec';

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  cert: X509Certificate;
  key: KeyObject;
}

export interface IssueOptions {
  commonName: string;
  organization?: string;
  dnsNames?: string[];
  uris?: string[];
  ipAddresses?: string[];
  /** Signs the new certificate; absent = self-signed. */
  issuer?: { certPem: string; keyPem: string };
  /** A CA certificate: basicConstraints CA:true, keyUsage keyCertSign+cRLSign (both critical). */
  ca?: boolean;
  /** Leaf default: both, since every DICOM TLS node is client and server. Ignored for CAs. */
  extKeyUsage?: ('serverAuth' | 'clientAuth')[];
  notBefore?: Date;
  notAfter?: Date;
  /** Validity length when notAfter is absent (default 3650 for CAs, 825 for leaves). */
  days?: number;
  keyType?: KeyType;
  /** RSA modulus length, default 2048. */
  bits?: number;
  /** Reuse an existing private key (PEM) instead of generating one. */
  keyPem?: string;
}

const OID_SHA256_RSA = '1.2.840.113549.1.1.11';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_SKI = '2.5.29.14';
const DAY_MS = 86_400_000;
const generateKeyPairAsync = promisify(generateKeyPair);

/** A private key (PEM, PKCS#1 for RSA as forge writes it, PKCS#8 for EC). */
export async function generateKey(keyType: KeyType = 'rsa', bits = 2048): Promise<string> {
  if (keyType === 'ec') {
    const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
  // forge delegates to Node's native generateKeyPair when present (~80 ms for 2048 bits here);
  // its pure-JS fallback would take seconds.
  const pair = await new Promise<forge.pki.rsa.KeyPair>((resolve, reject) => {
    pki.rsa.generateKeyPair({ bits, workers: -1 }, (err, kp) => (err ? reject(err) : resolve(kp)));
  });
  return pki.privateKeyToPem(pair.privateKey);
}

/** Positive 16-byte serial; first byte 0x01..0x7f keeps the DER INTEGER positive and minimal. */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f || 0x01;
  return b.toString('hex');
}

const binary = (buf: Buffer): string => buf.toString('binary');
const fromBinary = (s: string): Buffer => Buffer.from(s, 'binary');

function spkiAsn1(key: KeyObject): Asn1 {
  return asn1.fromDer(binary(createPublicKey(key).export({ type: 'spki', format: 'der' })));
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING (without its unused-bits byte). */
function keyIdentifier(spki: Asn1): string {
  // forge's fromDer tries to parse BIT STRING contents as ASN.1 (an RSA key parses); the raw bytes
  // are then kept in bitStringContents.
  const bits = (spki.value as Asn1[])[1] as Asn1 & { bitStringContents?: string };
  const raw = bits.bitStringContents ?? (bits.value as string);
  return binary(createHash('sha1').update(fromBinary(raw.slice(1))).digest());
}

function tbsOf(certDer: Buffer): Asn1[] {
  const root = asn1.fromDer(binary(certDer));
  return ((root.value as Asn1[])[0] as Asn1).value as Asn1[];
}

/** The issuer's subject name (exact bytes, so chain building matches) and its key identifier. */
function issuerInfo(certPem: string): { name: Asn1; keyId: string } {
  const x = new X509Certificate(certPem);
  const tbs = tbsOf(x.raw);
  const name = tbs[5] as Asn1;
  let keyId = keyIdentifier(tbs[6] as Asn1);
  // Prefer the issuer's own SKI (another tool may have used another method to derive it).
  const extWrapper = tbs.find((n) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  const exts = ((extWrapper?.value as Asn1[] | undefined)?.[0]?.value ?? []) as Asn1[];
  for (const ext of exts) {
    const parts = ext.value as Asn1[];
    if (asn1.derToOid(parts[0]?.value as string) === OID_SKI) {
      const inner = asn1.fromDer(parts[parts.length - 1]?.value as string);
      keyId = inner.value as string;
    }
  }
  return { name, keyId };
}

function altNames(o: IssueOptions): object[] {
  return [
    ...(o.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(o.uris ?? []).map((value) => ({ type: 6, value })),
    ...(o.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
}

function extensions(o: IssueOptions, keyType: KeyType, authorityKeyId: string): object[] {
  if (o.ca) {
    return [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
    ];
  }
  const eku = o.extKeyUsage ?? ['serverAuth', 'clientAuth'];
  const exts: object[] = [
    { name: 'basicConstraints', cA: false },
    // keyEncipherment only fits RSA (TLS 1.2 RSA key exchange); ECDSA keys only sign.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: keyType === 'rsa', critical: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
  ];
  if (eku.length > 0) exts.push({ name: 'extKeyUsage', serverAuth: eku.includes('serverAuth'), clientAuth: eku.includes('clientAuth') });
  const sans = altNames(o);
  if (sans.length > 0) exts.push({ name: 'subjectAltName', altNames: sans });
  return exts;
}

function toPem(der: Buffer): string {
  return forge.pem.encode({ type: 'CERTIFICATE', body: binary(der) }, { maxline: 64 }).replace(/\r\n/g, '\n');
}

function sigAlgId(issuerKey: KeyObject): Asn1 {
  const oid = issuerKey.asymmetricKeyType === 'ec' ? OID_ECDSA_SHA256 : OID_SHA256_RSA;
  const parts = [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes())];
  // RFC 4055: sha256WithRSAEncryption carries NULL parameters; RFC 5758: ECDSA carries none.
  if (oid === OID_SHA256_RSA) parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''));
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, parts);
}

/** Issues one certificate (CA or leaf, RSA or ECDSA P-256, any validity window, even past). */
export async function issueCertificate(o: IssueOptions): Promise<IssuedCertificate> {
  const keyPem = o.keyPem ?? (await generateKey(o.keyType ?? 'rsa', o.bits ?? 2048));
  const key = createPrivateKey(keyPem);
  const keyType: KeyType = key.asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
  const spki = spkiAsn1(key);
  const ownKeyId = keyIdentifier(spki);
  const issuer = o.issuer ? issuerInfo(o.issuer.certPem) : undefined;
  const issuerKey = o.issuer ? createPrivateKey(o.issuer.keyPem) : key;

  const notBefore = o.notBefore ?? new Date(Date.now() - 5 * 60_000); // tolerate small clock skew
  const days = o.days ?? (o.ca ? 3650 : 825);
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);

  const cert = pki.createCertificate();
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject: forge.pki.CertificateField[] = [];
  if (o.organization) subject.push({ name: 'organizationName', value: o.organization });
  subject.push({ name: 'commonName', value: o.commonName });
  cert.setSubject(subject);
  cert.setIssuer(subject); // replaced below by the issuer's exact name when not self-signed
  cert.setExtensions([...extensions(o, keyType, issuer?.keyId ?? ownKeyId)]);
  // forge derives SPKI and SKI from an RSA forge key; we patch both, so a dummy key suffices.
  cert.publicKey = pki.setRsaPublicKey(forge.jsbn.BigInteger.ONE, forge.jsbn.BigInteger.ONE);

  const algId = sigAlgId(issuerKey);
  cert.siginfo.algorithmOid = OID_SHA256_RSA; // forge needs one to build the TBS; replaced by algId
  const tbs = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as Asn1[];
  fields[2] = algId;
  if (issuer) fields[3] = issuer.name;
  fields[6] = spki;
  // Add subjectKeyIdentifier ourselves: forge would hash its dummy key.
  const extSeq = ((fields[7] as Asn1).value as Asn1[])[0] as Asn1;
  (extSeq.value as Asn1[]).push(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(OID_SKI).getBytes()),
      asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.OCTETSTRING,
        false,
        asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, ownKeyId)).getBytes(),
      ),
    ]),
  );

  const tbsDer = fromBinary(asn1.toDer(tbs).getBytes());
  // PKCS#1 v1.5 for RSA, DER-encoded ECDSA-Sig-Value for EC: Node's defaults match X.509's.
  const signature = sign('sha256', tbsDer, issuerKey);
  const certAsn1 = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algId,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${binary(signature)}`),
  ]);
  const certPem = toPem(fromBinary(asn1.toDer(certAsn1).getBytes()));
  return { certPem, keyPem, cert: new X509Certificate(certPem), key };
}
