// PS3.15 Annex B secure transport connection profiles as data (facts §3.1), one entry per
// TlsProfileName. Cipher names are OpenSSL's; Node takes TLS 1.3 suites in `ciphers` too (it splits
// the `TLS_*` names out for SSL_CTX_set_ciphersuites), so profileOptions() joins both lists.
//
// DCMTK 3.6.7 pairing (facts §3.2; DCMTK 3.6.7 has no B.12/B.13 switch, `+pg`/`+pm` came in 3.6.8):
//   bcp195-rfc8996           <-> DCMTK `+py` (default) or 3.6.8 `+pg`: both offer TLS 1.3 and
//                                ECDHE-RSA-AES-GCM at 1.2, so no DHE is needed on our side.
//   bcp195-rfc8996-modified  <-> DCMTK 3.6.8 `+pm`; with 3.6.7 use `+py` (TLS 1.3 / ECDHE-RSA-GCM).
//   bcp195-nd                <-> DCMTK `+py` exactly (ECDHE/DHE-RSA AES-128/256-GCM, TLS 1.2+).
//   bcp195                   <-> DCMTK `+px` (adds AES128-SHA, TLS 1.0+).
//   bcp195-ex                <-> DCMTK `+pz` (TLS 1.2 only, adds ECDHE-ECDSA-AES-GCM).
// DCMTK `+py`/`+px` have RSA-only TLS 1.2 suites: use RSA certificates for legacy peers (facts §3.3).
import { constants } from 'node:crypto';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import type { TlsProfileName } from '../config/types.ts';

export interface TlsProfile {
  name: TlsProfileName;
  /** PS3.15 Annex B section. */
  section: 'B.9' | 'B.10' | 'B.11' | 'B.12' | 'B.13';
  retired: boolean;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 and below (may end with an `@SECLEVEL=` directive). */
  ciphers: string;
  /** TLS 1.3 suites; '' when the profile has no TLS 1.3. */
  ciphersuites: string;
  /** Groups for ECDHE (and TLS 1.3 key share): all >= 256 bits as B.11-B.13 require. */
  ecdhCurve: string;
  /** A DHE suite is in `ciphers`: a Node server offers DHE only with `dhparam` set (facts §3.3). */
  needsDhparam: boolean;
  secureOptions: number;
  /** DCMTK 3.6.7 command-line switch that speaks the same profile. */
  dcmtk: string;
}

// Renegotiation is a DoS/injection surface no DICOM peer needs; compression (CRIME) is already
// absent from OpenSSL 3 builds, the flag only documents intent and protects against odd builds.
const SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION;

const ECDHE_RSA_GCM = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384'];
const ECDHE_ECDSA_GCM = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384'];
const DHE_RSA_GCM = ['DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384'];
const TLS13_GCM = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'];
const CURVES = 'X25519:P-256:P-384';

const list = (...names: string[][]): string => names.flat().join(':');

export const TLS_PROFILES: Readonly<Record<TlsProfileName, TlsProfile>> = {
  // B.12 "comply with BCP 195" = RFC 9325, whose §4.1 says TLS_DHE_* SHOULD NOT be negotiated
  // (RACCOON, no group negotiation). DCMTK 3.6.8 `+pg` uses exactly RFC 9325's four ECDHE suites,
  // and every 3.6.7 `+py` peer also offers ECDHE-RSA-AES-GCM and TLS 1.3, so DHE buys no interop
  // here. A DHE-only peer belongs on bcp195-nd, the profile that names DHE.
  'bcp195-rfc8996': {
    name: 'bcp195-rfc8996',
    section: 'B.12',
    retired: false,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: list(ECDHE_ECDSA_GCM, ECDHE_RSA_GCM),
    ciphersuites: list(TLS13_GCM),
    ecdhCurve: CURVES,
    needsDhparam: false,
    secureOptions: SECURE_OPTIONS,
    dcmtk: '+py (3.6.7) / +pg (3.6.8+)',
  },
  // B.13: servers support all listed TLS 1.3 suites (AES-GCM, CHACHA20-POLY1305, AES-CCM); TLS 1.2
  // ECDHE with AES-GCM, AES-CCM or CHACHA20. IANA has no ECDHE_RSA AES-CCM suite, so CCM at 1.2 is
  // ECDSA-only. Camellia-GCM (optional since CP 2311) is not in OpenSSL.
  'bcp195-rfc8996-modified': {
    name: 'bcp195-rfc8996-modified',
    section: 'B.13',
    retired: false,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: list(
      ECDHE_ECDSA_GCM,
      ECDHE_RSA_GCM,
      ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-CCM', 'ECDHE-ECDSA-AES256-CCM'],
    ),
    ciphersuites: list(TLS13_GCM, ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256']),
    ecdhCurve: CURVES,
    needsDhparam: false,
    secureOptions: SECURE_OPTIONS,
    dcmtk: '+pm (3.6.8+); 3.6.7 peers interoperate via +py',
  },
  // B.10: the four {EC}DHE-RSA AES-GCM suites, no downgrade below 1.2. TLS 1.3 stays on because
  // DCMTK `+py` (the B.10 switch) negotiates it with OpenSSL >= 1.1.1 and it is strictly stronger.
  'bcp195-nd': {
    name: 'bcp195-nd',
    section: 'B.10',
    retired: true,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: list(ECDHE_RSA_GCM, DHE_RSA_GCM),
    ciphersuites: list(TLS13_GCM),
    ecdhCurve: CURVES,
    needsDhparam: true,
    secureOptions: SECURE_OPTIONS,
    dcmtk: '+py',
  },
  // B.9: B.10's suites plus TLS_RSA_WITH_AES_128_CBC_SHA for old peers, TLS 1.0/1.1 allowed
  // (3DES is not in OpenSSL 3's default provider). OpenSSL 3 refuses TLS 1.0/1.1 at the default
  // security level 1 (their handshake signatures use SHA-1/MD5: "no suitable signature algorithm"),
  // hence @SECLEVEL=0, which also admits weak peer keys: this profile is for legacy peers only.
  // TLS 1.3 stays allowed like DCMTK `+px` does; capping it would only weaken modern peers.
  bcp195: {
    name: 'bcp195',
    section: 'B.9',
    retired: true,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.3',
    // The ECDHE/DHE-RSA CBC-SHA suites give TLS 1.0/1.1 peers forward secrecy before the fallback.
    ciphers: list(ECDHE_RSA_GCM, DHE_RSA_GCM, ['ECDHE-RSA-AES128-SHA', 'DHE-RSA-AES128-SHA', 'AES128-SHA', '@SECLEVEL=0']),
    ciphersuites: list(TLS13_GCM),
    ecdhCurve: CURVES,
    needsDhparam: true,
    secureOptions: SECURE_OPTIONS,
    dcmtk: '+px',
  },
  // B.11: B.10 plus ECDHE-ECDSA AES-GCM, TLS 1.2 only (DCMTK `+pz` disables 1.3 too).
  'bcp195-ex': {
    name: 'bcp195-ex',
    section: 'B.11',
    retired: true,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: list(ECDHE_ECDSA_GCM, ECDHE_RSA_GCM, DHE_RSA_GCM),
    ciphersuites: '',
    ecdhCurve: CURVES,
    needsDhparam: true,
    secureOptions: SECURE_OPTIONS,
    dcmtk: '+pz',
  },
};

export function getProfile(p: TlsProfileName | TlsProfile): TlsProfile {
  return typeof p === 'string' ? TLS_PROFILES[p] : p;
}

/** The profile as Node secure-context options (the server adds `dhparam`, see context.ts). */
export function profileOptions(
  p: TlsProfileName | TlsProfile,
): Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'ecdhCurve' | 'secureOptions'> {
  const profile = getProfile(p);
  // @SECLEVEL must come last in an OpenSSL cipher string; the 1.3 names go first.
  const ciphers = [profile.ciphersuites, profile.ciphers].filter((s) => s !== '').join(':');
  return {
    minVersion: profile.minVersion,
    maxVersion: profile.maxVersion,
    ciphers,
    ecdhCurve: profile.ecdhCurve,
    secureOptions: profile.secureOptions,
  };
}
