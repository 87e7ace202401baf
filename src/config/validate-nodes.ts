// nodes: every application entity the gateway relays to or accepts calls from, keyed by the AE
// title callers use for it.
import { isMap } from 'yaml';
import type { Field, Reader } from './reader.ts';
import type { CertificateIdentity, NodeConfig } from './types.ts';
import { checkAeTitle } from './ae-title.ts';
import { readAeTitle, readHost, readPort, readProfile } from './validate-sections.ts';

export const NODE_KEYS = [
  'host',
  'port',
  'tls',
  'aeTitle',
  'callingAeTitle',
  'checkHost',
  'rewriteMoveDestination',
  'bridgeGetToMove',
  'serverName',
  'certificate',
  'reachable',
  'profile',
] as const;
const CERTIFICATE_KEYS = ['commonName', 'dnsName', 'uri'] as const;

export interface NodeEntry {
  config: NodeConfig;
  keyField: Field; // the node's key in `nodes`
  tlsField: Field;
}

function readCertificate(r: Reader, f: Field): CertificateIdentity | undefined {
  const m = r.map(f, CERTIFICATE_KEYS);
  if (!m) {
    if (f.value === null && f.keyAt !== undefined) r.error(f, 'give at least one of commonName, dnsName, uri');
    return undefined;
  }
  const id: CertificateIdentity = {};
  for (const k of CERTIFICATE_KEYS) {
    const kf = m.get(k);
    const v = r.string(kf);
    if (v === undefined) continue;
    if (v.trim() === '') r.error(kf, `${k} must not be empty`);
    else id[k] = v.trim();
  }
  // Only a truly empty mapping: with unknown keys, that error says enough.
  if (isMap(f.value) && f.value.items.length === 0) r.error(f, 'give at least one of commonName, dnsName, uri');
  return Object.keys(id).length > 0 ? id : undefined;
}

function readNode(r: Reader, name: string, f: Field): NodeEntry | undefined {
  const m = r.map(f, NODE_KEYS);
  if (!m) {
    if (f.value === null) r.error(f, 'expected the node\'s settings (host, port, ...), got nothing');
    return undefined;
  }
  const reachableField = m.get('reachable');
  const reachable = r.boolean(reachableField) ?? true;
  const hostField = m.get('host');
  const host = readHost(r, hostField);
  if (hostField.value === null) r.missing(hostField);
  const portField = m.get('port');
  let port = readPort(r, portField);
  // A node behind NAT is never dialled, so it may have no port; 0 marks "never dialled".
  if (portField.value === null) {
    if (reachable) r.missing(portField);
    else port = 0;
  }
  const tlsField = m.get('tls');
  const tls = r.boolean(tlsField) ?? false;
  const aeTitle = readAeTitle(r, m.get('aeTitle'));
  const callingAeTitle = readAeTitle(r, m.get('callingAeTitle'));
  const checkHost = r.boolean(m.get('checkHost')) ?? true;
  const flags = { rewriteMoveDestination: false, bridgeGetToMove: false };
  for (const k of ['rewriteMoveDestination', 'bridgeGetToMove'] as const) {
    const kf = m.get(k);
    flags[k] = r.boolean(kf) ?? false;
    // Both features make the gateway call this node with a C-MOVE-RQ.
    if (flags[k] && !reachable) r.warn(kf, 'has no effect: the gateway never calls a node with reachable: false');
  }
  const serverNameField = m.get('serverName');
  const serverName = readHost(r, serverNameField);
  if (serverName !== undefined && !tls) r.error(serverNameField, 'serverName applies only to TLS nodes: set tls: true, or remove it');
  const profileField = m.get('profile');
  const profile = readProfile(r, profileField);
  if (profile && !tls) r.error(profileField, 'profile applies only to TLS nodes: set tls: true, or remove it');
  const certificate = readCertificate(r, m.get('certificate'));
  if (tls && m.get('certificate').keyAt === undefined) {
    r.warn(tlsField, `any certificate that tls.ca verifies is accepted as ${name}; add certificate: {commonName: ...} to pin its identity`);
  }

  if (host === undefined || port === undefined) return undefined;
  const config: NodeConfig = { name, host, port, tls, checkHost, ...flags, reachable };
  if (aeTitle !== undefined) config.aeTitle = aeTitle;
  if (callingAeTitle !== undefined) config.callingAeTitle = callingAeTitle;
  if (serverName !== undefined && tls) config.serverName = serverName;
  if (certificate) config.certificate = certificate;
  if (profile && tls) config.profile = profile;
  return { config, keyField: { ...f, at: f.keyAt ?? f.at }, tlsField };
}

/** Valid nodes, and every declared name (also of nodes with errors, so rules can refer to them). */
export function readNodes(r: Reader, f: Field, gatewayAeTitle: string | undefined): { nodes: Map<string, NodeEntry>; declared: Set<string> } {
  const nodes = new Map<string, NodeEntry>();
  const declared = new Set<string>();
  const m = r.map(f, null);
  if (!m) return { nodes, declared };
  for (const rawKey of m.keys) {
    const nf = m.get(rawKey);
    const keyField: Field = { ...nf, at: nf.keyAt ?? nf.at };
    const c = checkAeTitle(rawKey);
    if (!c.ok) {
      r.error(keyField, `node name: ${c.reason}`);
      continue;
    }
    if (c.title === gatewayAeTitle) {
      r.error(keyField, `'${c.title}' is the gateway's own aeTitle; a node needs a different AE title`);
      continue;
    }
    if (declared.has(c.title)) {
      // Only possible through spaces, which AE title comparison ignores.
      r.error(keyField, `node '${c.title}' is defined twice (AE titles ignore leading and trailing spaces)`);
      continue;
    }
    declared.add(c.title);
    const e = readNode(r, c.title, nf);
    if (e) nodes.set(c.title, e);
  }
  return { nodes, declared };
}
