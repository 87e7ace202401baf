// listeners: where the gateway accepts associations.
import type { Field, Reader } from './reader.ts';
import type { ListenerConfig } from './types.ts';
import { readHost, readPort, readProfile } from './validate-sections.ts';
import { isWildcardHost, parseCidr } from './net.ts';

export const LISTENER_KEYS = ['name', 'host', 'port', 'tls', 'requireClientCert', 'profile', 'allowFrom'] as const;

/** A validated listener plus the fields later cross-checks point at. */
export interface ListenerEntry {
  config: ListenerConfig;
  field: Field;
  nameField: Field;
  tlsField: Field;
  portField: Field;
}

// Names appear in metric labels, logs and the status page: keep them to a safe alphabet.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function readAllowFrom(r: Reader, f: Field): string[] | undefined {
  const items = r.list(f);
  if (!items) return undefined;
  if (items.length === 0) {
    r.error(f, 'an empty allowFrom refuses every connection; remove the key to allow any source');
    return undefined;
  }
  const out: string[] = [];
  for (const item of items) {
    const s = r.string(item)?.trim();
    if (s === undefined) {
      if (item.value === null) r.error(item, 'expected an address or CIDR, got nothing');
      continue;
    }
    const c = parseCidr(s);
    if (!c) {
      r.error(item, `'${s}' is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)`);
      continue;
    }
    // 10.1.2.3/8 means 10.0.0.0/8; probably a slip for 10.1.2.3/32 or 10.0.0.0/8.
    if (c.hostBitsSet) r.warn(item, `'${s}' has host bits set beyond /${c.prefix}, so it admits the whole network`);
    // Always address/prefix, so consumers need only one form.
    out.push(s.includes('/') ? s : `${s}/${c.prefix}`);
  }
  return out;
}

function readListener(r: Reader, f: Field): ListenerEntry | undefined {
  const m = r.map(f, LISTENER_KEYS);
  if (!m) {
    if (f.value === null) r.error(f, 'expected a listener (name, port, ...), got nothing');
    return undefined;
  }
  const nameField = m.get('name');
  let name = r.string(nameField)?.trim();
  if (name === undefined) {
    if (nameField.value === null) r.missing(nameField);
  } else if (!NAME.test(name)) {
    r.error(nameField, `listener name '${name}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    name = undefined;
  }
  const portField = m.get('port');
  const port = readPort(r, portField);
  if (port === undefined && portField.value === null) r.missing(portField);
  const host = readHost(r, m.get('host')) ?? '0.0.0.0';
  const tlsField = m.get('tls');
  const tls = r.boolean(tlsField) ?? false;

  const rccField = m.get('requireClientCert');
  const rcc = r.boolean(rccField);
  if (rcc === true && !tls) {
    r.error(rccField, 'requireClientCert applies only to TLS listeners: set tls: true, or remove it');
  } else if (rcc === false && tls) {
    r.warn(rccField, 'callers are not asked for a certificate, so their AE titles cannot be tied to certificates');
  }
  const profileField = m.get('profile');
  const profile = readProfile(r, profileField);
  if (profile && !tls) r.error(profileField, 'profile applies only to TLS listeners: set tls: true, or remove it');
  const allowFrom = readAllowFrom(r, m.get('allowFrom'));

  if (name === undefined || port === undefined) return undefined;
  const config: ListenerConfig = { name, host, port, tls, requireClientCert: rcc ?? tls };
  if (profile && tls) config.profile = profile;
  if (allowFrom) config.allowFrom = allowFrom;
  return { config, field: f, nameField, tlsField, portField };
}

/** Two binds clash on the same port when the hosts are equal or either is a wildcard. */
export function bindsClash(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  if (a.port !== b.port) return false;
  return a.host.toLowerCase() === b.host.toLowerCase() || isWildcardHost(a.host) || isWildcardHost(b.host);
}

export function readListeners(r: Reader, f: Field): ListenerEntry[] {
  if (f.value === null) {
    r.missing(f);
    return [];
  }
  const items = r.list(f);
  if (!items) return [];
  if (items.length === 0) r.error(f, 'at least one listener is required');
  const entries: ListenerEntry[] = [];
  const names = new Map<string, string>();
  for (const item of items) {
    const e = readListener(r, item);
    if (!e) continue;
    const { name } = e.config;
    const firstPath = names.get(name);
    if (firstPath !== undefined) {
      r.error(e.nameField, `duplicate listener name '${name}' (also ${firstPath})`);
      continue;
    }
    names.set(name, item.path);
    const clash = entries.find((o) => bindsClash(o.config, e.config));
    if (clash) {
      r.error(e.portField, `${e.config.host}:${e.config.port} is already used by listener '${clash.config.name}' (${clash.field.path})`);
      continue;
    }
    entries.push(e);
  }
  return entries;
}
