// IP addresses and CIDR allowlists for listener `allowFrom` and node `checkHost`. Parsed by hand
// because the policy layer imports no I/O modules (STYLE rule 1; node:net is off limits here).
//
// Every address is held as 16 bytes: IPv4 a.b.c.d becomes the IPv4-mapped IPv6 address
// ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) and an IPv4 prefix /n becomes /(96+n). A dual-stack Node
// listener reports IPv4 callers as '::ffff:10.0.0.1', a single-stack one as '10.0.0.1'; in this one
// space both spellings are the same address, so `10.0.0.0/8` admits either, and neither the
// listener's bind address nor the way an admin spells the CIDR changes the outcome.

export interface IpAddress {
  /** 4 when written as IPv4 or IPv4-mapped IPv6 (so Node's '::ffff:a.b.c.d' counts as IPv4). */
  family: 4 | 6;
  /** 16 bytes, network order; IPv4 as ::ffff:a.b.c.d. */
  bytes: readonly number[];
}

export interface Cidr {
  family: 4 | 6;
  /** Network address in the 16-byte space, host bits cleared. */
  bytes: readonly number[];
  /** Prefix length in the 16-byte space: an IPv4 /8 is 104. */
  prefix128: number;
  /** Prefix length as written (an IPv4 /8 is 8); /32 or /128 for a bare address. */
  prefix: number;
  /** True when the written address had bits set beyond the prefix (10.1.2.3/8); the config check may warn. */
  hostBitsSet: boolean;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20; // fold A-F to a-f; digits are unaffected
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Dotted-quad IPv4 to 4 bytes. Leading zeros are refused ('010.0.0.1'): some stacks read them as
 *  octal (inet_aton), so the same text could mean two addresses; Node's net.isIPv4 refuses them too. */
function parseIpv4Bytes(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!isDigits(p) || p.length > 3 || (p.length > 1 && p.startsWith('0'))) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** Colon-separated hex groups (one side of '::') to 16-bit values; the last group may be a
 *  dotted-quad IPv4 (RFC 4291 §2.2 form 3) when `allowV4Tail`. */
function parseGroups(s: string, allowV4Tail: boolean): number[] | null {
  if (s === '') return [];
  const parts = s.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (allowV4Tail && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4Bytes(p);
      if (v4 === null) return null;
      out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      continue;
    }
    // RFC 4291 §2.2: "one to four hexadecimal digits"
    if (!isHex(p) || p.length > 4) return null;
    out.push(parseInt(p, 16));
  }
  return out;
}

function parseIpv6Bytes(s: string): number[] | null {
  const halves = s.split('::');
  let groups: number[];
  if (halves.length === 1) {
    const g = parseGroups(s, true);
    if (g === null || g.length !== 8) return null;
    groups = g;
  } else if (halves.length === 2) {
    // RFC 4291 §2.2: '::' stands for one or more groups of zeros and appears at most once; an
    // IPv4 tail is only allowed at the very end, so not before '::'.
    const head = parseGroups(halves[0] ?? '', false);
    const tail = parseGroups(halves[1] ?? '', true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    return null;
  }
  const out: number[] = [];
  for (const g of groups) out.push(g >> 8, g & 0xff);
  return out;
}

function isMapped(bytes: readonly number[]): boolean {
  return MAPPED_PREFIX.every((b, i) => bytes[i] === b);
}

/**
 * Parses an IPv4 or IPv6 literal. Accepts '::', IPv4-mapped '::ffff:10.0.0.1', a zone id
 * ('fe80::1%eth0', stripped: policy compares addresses, not interfaces) and brackets ('[::1]').
 * Returns null for anything else, including host names.
 */
export function parseIp(input: string): IpAddress | null {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) {
    const pct = s.indexOf('%');
    if (pct >= 0) {
      // RFC 4007 §11: '%' then a non-empty zone id.
      if (pct === s.length - 1) return null;
      s = s.slice(0, pct);
    }
    const bytes = parseIpv6Bytes(s);
    if (bytes === null) return null;
    return { family: isMapped(bytes) ? 4 : 6, bytes };
  }
  const v4 = parseIpv4Bytes(s);
  if (v4 === null) return null;
  return { family: 4, bytes: [...MAPPED_PREFIX, ...v4] };
}

/** True when `s` is an IP literal rather than a host name (decides how checkHost compares). */
export function isIpLiteral(s: string): boolean {
  return parseIp(s) !== null;
}

/**
 * Parses 'address/prefix' or a bare address (= /32 for IPv4, /128 for IPv6). Host bits beyond the
 * prefix are cleared and reported in `hostBitsSet`. An IPv4-mapped IPv6 network with prefix >= 96
 * ('::ffff:10.0.0.0/104') is the same network as the IPv4 one ('10.0.0.0/8').
 */
export function parseCidr(input: string): Cidr | null {
  const s = input.trim();
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIp(addrText);
  if (ip === null) return null;
  // Whether the written form was IPv4 decides the prefix scale, not the mapped-ness of the bytes.
  const writtenV4 = !addrText.includes(':');
  const max = writtenV4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!isDigits(p) || p.length > 3 || (p.length > 1 && p.startsWith('0'))) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  const prefix128 = writtenV4 ? prefix + 96 : prefix;
  const bytes = ip.bytes.map((b, i) => b & byteMask(prefix128, i));
  const hostBitsSet = bytes.some((b, i) => b !== ip.bytes[i]);
  const family: 4 | 6 = writtenV4 || (isMapped(bytes) && prefix128 >= 96) ? 4 : 6;
  return { family, bytes, prefix128, prefix, hostBitsSet };
}

/** The mask byte at index i for a prefix of `prefix128` bits. */
function byteMask(prefix128: number, i: number): number {
  const bits = Math.max(0, Math.min(8, prefix128 - i * 8));
  return (0xff << (8 - bits)) & 0xff;
}

/** Whether `ip` lies in `cidr`. */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  for (let i = 0; i < 16; i++) {
    const m = byteMask(cidr.prefix128, i);
    if (m === 0) return true;
    if (((ip.bytes[i] ?? 0) & m) !== cidr.bytes[i]) return false;
  }
  return true;
}

/**
 * Listener `allowFrom` (CONTRACT "Config file"): undefined = any address. Otherwise any matching
 * CIDR admits the address (an allowlist: any match grants, STYLE rule 7). Fail closed: an empty list
 * admits nobody, an unparseable peer address matches nothing, and an unparseable CIDR entry (the
 * config check rejects those) matches nothing.
 */
export function addressAllowed(address: string, cidrs: readonly string[] | undefined): boolean {
  if (cidrs === undefined) return true;
  const ip = parseIp(address);
  if (ip === null) return false;
  for (const c of cidrs) {
    const cidr = parseCidr(c);
    if (cidr !== null && cidrContains(cidr, ip)) return true;
  }
  return false;
}

/** Whether two IP literals name the same address ('10.0.0.1' equals '::ffff:10.0.0.1'; zone ids are
 *  ignored). False when either is not an IP literal. */
export function sameAddress(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === null || y === null) return false;
  return x.bytes.every((v, i) => v === y.bytes[i]);
}
