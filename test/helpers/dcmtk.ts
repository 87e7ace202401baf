// Wrappers around the DCMTK 3.6.7 command line tools (Debian package) for interop tests: every
// tool runs with a timeout, output is captured, and DCMTK's association messages are parsed so
// tests can assert on what a real peer saw (e.g. the A-ASSOCIATE-RJ reason it printed).
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetSha256, readUids } from './dicom-files.ts';
import { freePort, waitForListen } from './ports.ts';
import { run, spawnDaemon } from './proc.ts';
import type { Daemon, RunResult } from './proc.ts';
import { tempDir } from './tmp.ts';

export { stunnelClient, stunnelServer } from './stunnel.ts';
export type { Stunnel, StunnelClientOptions, StunnelServerOptions } from './stunnel.ts';

export const LOOPBACK = '127.0.0.1';

/**
 * Environment for DCMTK processes. DCMTK leaves Nagle on unless TCP_NODELAY=1 is set (dul.cc),
 * which costs ~40-80 ms per small C-STORE on loopback (200 instances: 16 s instead of ~2 s).
 * An explicit TCP_NODELAY in the test environment wins.
 */
export const DCMTK_ENV: NodeJS.ProcessEnv = { ...process.env, TCP_NODELAY: process.env.TCP_NODELAY ?? '1' };

/** DCMTK TLS: `+tls key cert +cf ca` plus a profile flag (3.6.7 default +py = BCP 195 non-downgrading). */
export interface DcmtkTls {
  key: string;
  cert: string;
  ca: string;
  profile?: '+py' | '+px' | '+pz';
}

export function tlsArgs(tls: DcmtkTls | undefined): string[] {
  return tls ? ['+tls', tls.key, tls.cert, '+cf', tls.ca, tls.profile ?? '+py'] : [];
}

// ---------------------------------------------------------------------------------------------
// Parsing DCMTK output

/**
 * A-ASSOCIATE-RJ as DCMTK 3.6.7 prints it (ASC_printRejectParameters), on stderr, e.g.
 *   F: Association Rejected:
 *   F: Result: Rejected Permanent, Source: Service User
 *   F: Reason: Calling AE Title Not Recognized
 * echoscu/storescu/movescu log it at F, findscu at E, getscu only at D (needs -d).
 */
export interface AssociationReject {
  result: number; // 1 permanent, 2 transient
  source: number; // 1 service user, 2 provider ACSE, 3 provider presentation
  reason: number; // PS3.8 Table 9-21 reason within that source
  resultText: string;
  sourceText: string;
  reasonText: string;
}

const RESULTS: Record<string, number> = { 'Rejected Permanent': 1, 'Rejected Transient': 2 };
const SOURCES: Record<string, number> = {
  'Service User': 1,
  'Service Provider (ACSE Related)': 2,
  'Service Provider (Presentation Related)': 3,
};
// Reason text depends on the source in DCMTK (reason enum = source << 8 | reason).
const REASONS: Record<number, Record<string, number>> = {
  1: { 'No Reason': 1, 'App Context Name Not Supported': 2, 'Calling AE Title Not Recognized': 3, 'Called AE Title Not Recognized': 7 },
  2: { 'No Reason': 1, 'Protocol Version Not Supported': 2 },
  3: { 'Temporary Congestion': 1, 'Local Limit Exceeded': 2 },
};

export function parseAssociationReject(output: string): AssociationReject | undefined {
  const m = /Association Rejected:\s*\r?\n(?:[FEWIDT]: )?Result: (.+?), Source: (.+?)\s*\r?\n(?:[FEWIDT]: )?Reason: (.+?)\s*(?:\r?\n|$)/.exec(output);
  if (!m) return undefined;
  const [, resultText = '', sourceText = '', reasonText = ''] = m;
  const source = SOURCES[sourceText] ?? 0;
  return {
    result: RESULTS[resultText] ?? 0,
    source,
    reason: REASONS[source]?.[reasonText] ?? 0,
    resultText,
    sourceText,
    reasonText,
  };
}

/** "1/1/7"-style triple for compact assertions. */
export function rejectTriple(r: AssociationReject | undefined): string | undefined {
  return r ? `${r.result}/${r.source}/${r.reason}` : undefined;
}

/** "Association Request Failed: 0006:0317 Peer aborted Association (or never connected)" and the like. */
export function parseAssociationFailure(output: string): string | undefined {
  return /Association Request Failed: (.+)/.exec(output)?.[1]?.trim();
}

/** DIMSE statuses DCMTK logs at -v, e.g. "Received Store Response (Success)" -> ['Success']. */
export function parseResponses(output: string, kind: 'Store' | 'Echo' | 'Find' | 'Move' | 'Get'): string[] {
  const re = new RegExp(`Received (?:Final )?${kind} Response(?: \\d+)? \\(([^)]*)\\)`, 'g');
  return [...output.matchAll(re)].map((m) => m[1]!);
}

/** Data sets DCMTK dumps at -v (findscu responses): keyword -> value, one object per response. */
export function parseDatasetDumps(output: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.replace(/^[FEWIDT]: /, '');
    if (line.startsWith('# Dicom-Data-Set')) {
      cur = {};
      out.push(cur);
      continue;
    }
    const m = /^\s*\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (.*?)\s+#\s*\d+,\s*\d+ (\S+)/.exec(line);
    if (!m || !cur) continue;
    const [, , , , v = '', keyword = ''] = m;
    const value = v.startsWith('[') ? v.slice(1, v.lastIndexOf(']')) : v === '(no value available)' ? '' : v;
    cur[keyword] = value.replace(/[\0 ]+$/, '').trim(); // UIs arrive NUL-padded to even length
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SCUs

export interface ScuOptions {
  port: number;
  host?: string; // default 127.0.0.1; tests only ever talk to loopback
  aet?: string; // calling AE
  aec?: string; // called AE
  tls?: DcmtkTls;
  extraArgs?: string[];
  timeoutMs?: number; // default 60 s
  verbose?: boolean; // -v (default true: responses and data sets are parsed from it)
  netns?: string; // run inside this network namespace (`ip netns exec`), e.g. a client behind NAT
}

export interface ScuResult extends RunResult {
  output: string; // stdout + stderr
  ok: boolean; // exit code 0
  reject?: AssociationReject;
  failure?: string; // "Association Request Failed: ..." text
}

function common(o: ScuOptions, defaultAet: string): string[] {
  return [...(o.verbose === false ? [] : ['-v']), '-aet', o.aet ?? defaultAet, '-aec', o.aec ?? 'ANY-SCP', ...tlsArgs(o.tls), ...(o.extraArgs ?? [])];
}

async function scu(cmd: string, args: string[], o: ScuOptions): Promise<ScuResult> {
  const r = o.netns
    ? await run('ip', ['netns', 'exec', o.netns, cmd, ...args], { timeoutMs: o.timeoutMs ?? 60_000 })
    : await run(cmd, args, { timeoutMs: o.timeoutMs ?? 60_000 });
  const output = `${r.stdout}${r.stderr}`;
  return { ...r, output, ok: r.code === 0, reject: parseAssociationReject(output), failure: parseAssociationFailure(output) };
}

function hostPort(o: ScuOptions): string[] {
  return [o.host ?? LOOPBACK, String(o.port)];
}

export function echoscu(o: ScuOptions & { repeat?: number }): Promise<ScuResult> {
  return scu('echoscu', [...common(o, 'ECHOSCU'), ...(o.repeat ? ['--repeat', String(o.repeat)] : []), ...hostPort(o)], o);
}

export interface StorescuOptions extends ScuOptions {
  /** Files, or directories (scanned with +sd +r). */
  files: string[];
  /** Propose Implicit VR LE only (-xi): needed to keep implicit files byte-exact, as storescu
   *  otherwise converts them to the Explicit VR LE the SCP prefers. */
  implicitOnly?: boolean;
  /** Propose only the contexts the files need (-R); default true, keeps RQs small. */
  requiredOnly?: boolean;
}

export interface StorescuResult extends ScuResult {
  statuses: string[]; // one per C-STORE-RSP, e.g. 'Success'
}

export async function storescu(o: StorescuOptions): Promise<StorescuResult> {
  const dirs = await Promise.all(o.files.map(async (f) => (await stat(f)).isDirectory()));
  const args = [
    ...common(o, 'STORESCU'),
    ...(o.requiredOnly === false ? [] : ['-R']),
    ...(o.implicitOnly ? ['-xi'] : []),
    ...(dirs.some(Boolean) ? ['+sd', '+r'] : []),
    ...hostPort(o),
    ...o.files,
  ];
  const r = await scu('storescu', args, { timeoutMs: 300_000, ...o });
  return { ...r, statuses: parseResponses(r.output, 'Store') };
}

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

export interface QueryOptions extends ScuOptions {
  level: QueryLevel;
  /** Matching / return keys: keyword -> value ('' = return key). */
  keys?: Record<string, string>;
  model?: 'study' | 'patient'; // -S (default) / -P
}

function queryArgs(o: QueryOptions): string[] {
  const keys = Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-k', `${k}=${v}`]);
  return [o.model === 'patient' ? '-P' : '-S', '-k', `QueryRetrieveLevel=${o.level}`, ...keys];
}

export interface FindscuResult extends ScuResult {
  /** One object per C-FIND pending response data set (keyword -> value as DCMTK prints it). */
  matches: Record<string, string>[];
  statuses: string[];
}

export async function findscu(o: QueryOptions): Promise<FindscuResult> {
  const r = await scu('findscu', [...common(o, 'FINDSCU'), ...queryArgs(o), ...hostPort(o)], o);
  // The first dump is the request identifier ("Request Identifiers:"), the rest are responses.
  const dumps = parseDatasetDumps(r.output);
  const requestDumped = /Request Identifiers:/.test(r.output) ? 1 : 0;
  return { ...r, matches: dumps.slice(requestDumped), statuses: parseResponses(r.output, 'Find') };
}

export interface SubOperations {
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
}

/** getscu's "Final status report from last C-GET message" counts. */
export function parseFinalSubOperations(output: string): SubOperations | undefined {
  const i = output.lastIndexOf('Final status report');
  if (i < 0) return undefined;
  const tail = output.slice(i);
  const n = (what: string): number => Number(new RegExp(`Number of ${what} Suboperations\\s*:\\s*(\\d+)`).exec(tail)?.[1] ?? NaN);
  return { remaining: n('Remaining'), completed: n('Completed'), failed: n('Failed'), warning: n('Warning') };
}

export interface RetrieveResult extends ScuResult {
  /** movescu: '(text)' of each "Received [Final] Move Response"; getscu: each "DIMSE status is: X". */
  statuses: string[];
  subOperations?: SubOperations; // getscu only
  /** Files received into outDir (movescu with a listen port, getscu). */
  outDir?: string;
}

export interface MovescuOptions extends QueryOptions {
  destination: string; // -aem
  /** Port for movescu's own storage SCP (+P); omit when the destination is another AE. */
  listenPort?: number;
  outDir?: string; // where movescu's own SCP stores (with listenPort); the caller owns it
}

export async function movescu(o: MovescuOptions): Promise<RetrieveResult> {
  const outDir = o.outDir;
  if (o.listenPort !== undefined && !outDir) throw new Error('movescu: listenPort needs outDir');
  const args = [
    ...common(o, 'MOVESCU'),
    '-aem', o.destination,
    ...(o.listenPort !== undefined ? ['+P', String(o.listenPort), '+xa', '+B', '-od', outDir!] : []),
    ...queryArgs(o),
    ...hostPort(o),
  ];
  const r = await scu('movescu', args, { timeoutMs: 300_000, ...o });
  return { ...r, statuses: parseResponses(r.output, 'Move'), outDir };
}

/** getscu (no TLS in 3.6.7: put stunnelClient in front for TLS peers); outDir is the caller's. */
export async function getscu(o: QueryOptions & { outDir: string }): Promise<RetrieveResult> {
  const outDir = o.outDir;
  // getscu prints A-ASSOCIATE-RJ details only at debug level, hence -d.
  const r = await scu('getscu', [...common({ ...o, verbose: false }, 'GETSCU'), '-d', '+B', '-od', outDir, ...queryArgs(o), ...hostPort(o)], { timeoutMs: 300_000, ...o });
  const statuses = [...r.output.matchAll(/DIMSE status is: (.+)/g)].map((m) => m[1]!.trim());
  return { ...r, statuses, subOperations: parseFinalSubOperations(r.output), outDir };
}

// ---------------------------------------------------------------------------------------------
// storescp

export interface StorescpOptions {
  port?: number; // default: a free port
  aet?: string; // default STORESCP
  outDir?: string; // default: a temp dir removed by stop()
  tls?: DcmtkTls;
  bitPreserving?: boolean; // +B, default true: the stored data set is exactly what arrived
  extraArgs?: string[];
  startTimeoutMs?: number;
}

export interface ReceivedFile {
  path: string;
  size: number;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntax: string;
}

export interface RunningStorescp {
  port: number;
  aet: string;
  outDir: string;
  daemon: Daemon;
  received(): Promise<ReceivedFile[]>;
  /** SOP Instance UID -> data set SHA-256 of every received file. */
  hashes(): Promise<Map<string, string>>;
  waitForFiles(n: number, timeoutMs?: number): Promise<ReceivedFile[]>;
  /** Removes received files (between tests sharing one storescp). */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export async function storescp(o: StorescpOptions = {}): Promise<RunningStorescp> {
  const port = o.port ?? (await freePort());
  const aet = o.aet ?? 'STORESCP';
  const own = o.outDir ? undefined : await tempDir('dtg-storescp-');
  const outDir = o.outDir ?? own!.dir;
  await mkdir(outDir, { recursive: true });
  const args = [
    '-v',
    '-aet', aet,
    '-od', outDir,
    ...(o.bitPreserving === false ? [] : ['+B']),
    '+xa', // accept every transfer syntax the caller proposes (no transcoding on our side)
    '-dhl',
    ...tlsArgs(o.tls),
    ...(o.extraArgs ?? []),
    String(port),
  ];
  // storescp stays single-process (no --fork): one association at a time, all output here.
  const daemon = spawnDaemon('storescp', 'storescp', args, { env: DCMTK_ENV });
  const stop = async (): Promise<void> => {
    await daemon.stop(3000);
    await own?.cleanup();
  };
  try {
    await Promise.race([
      waitForListen(port, o.startTimeoutMs ?? 10_000),
      daemon.exited.then(() => {
        throw new Error(`storescp exited at startup: ${daemon.stderr()}${daemon.stdout()}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  const received = async (): Promise<ReceivedFile[]> => {
    const out: ReceivedFile[] = [];
    for (const name of (await readdir(outDir)).sort()) {
      const path = join(outDir, name);
      const s = await stat(path);
      if (!s.isFile()) continue;
      out.push({ path, size: s.size, ...(await readUids(path)) });
    }
    return out;
  };
  return {
    port,
    aet,
    outDir,
    daemon,
    received,
    async hashes() {
      const m = new Map<string, string>();
      for (const f of await received()) m.set(f.sopInstanceUid, await datasetSha256(f.path));
      return m;
    },
    async waitForFiles(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const files = await received();
        if (files.length >= n) return files;
        if (Date.now() > deadline) throw new Error(`storescp received ${files.length} files, wanted ${n}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async clear() {
      for (const name of await readdir(outDir)) await rm(join(outDir, name), { recursive: true, force: true });
    },
    stop,
  };
}
