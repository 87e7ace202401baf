// Relay benchmark (`npm run bench`): C-STORE throughput and association setup rate for
//   (a) direct SCU -> SCP, (b) through the gateway (plain), (c) through the gateway (TLS -> plain),
//   (d) through stunnel (TLS server in front of the SCP, the SCU on a Node TLS socket),
// then the gateway's RSS growth while it relays 1 GB in one data set (streamed by the SCU, never
// held in memory). Exits 1 when that growth reaches 64 MB. The gateway runs as its own process
// (the real CLI), so its RSS is its own; SCU and SCP share this process in every variant.
// Loopback only, bounded in count and time (well under 3 minutes).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawScu, startRawScp, tcpConnect, tlsConnect, type PeerSocket, type RawScp } from '../test/helpers/ops-peers.ts';
import { mintPki } from '../test/helpers/ops-kit.ts';
import { freePorts } from '../test/helpers/ports.ts';
import { stunnelServer, type Stunnel } from '../test/helpers/stunnel.ts';

const MB = 1024 * 1024;
const STORE_BYTES = 128 * MB; // per throughput run
const STORE_RUNS = 2; // best of
const ECHO_MAX = 300; // associations per setup-rate run, at most
const ECHO_MS = 2000; // ... or this long, whichever first
const RSS_BYTES = 1024 * MB;
const RSS_LIMIT = 64 * MB;
const DEADLINE_MS = 170_000;

const root = join(fileURLToPath(import.meta.url), '..', '..');
const started = Date.now();
const log = (s: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${s}\n`);

function checkDeadline(): void {
  if (Date.now() - started > DEADLINE_MS) throw new Error(`benchmark over its ${DEADLINE_MS / 1000} s budget`);
}

interface Variant {
  name: string;
  connect: () => Promise<PeerSocket>;
}

interface Result {
  name: string;
  mbPerS: number;
  assocPerS: number;
}

async function throughput(v: Variant): Promise<number> {
  let best = 0;
  for (let run = 0; run < STORE_RUNS; run++) {
    checkDeadline();
    const scu = await RawScu.open({ connect: v.connect, calledAe: 'PACS', callingAe: 'MODALITY' });
    if (!scu.accepted) throw new Error(`${v.name}: association not accepted: ${JSON.stringify(scu.outcome)}`);
    const t0 = process.hrtime.bigint();
    const r = await scu.store({ size: STORE_BYTES, seed: run, hash: false });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0 || r.bytes !== STORE_BYTES) throw new Error(`${v.name}: C-STORE failed (status ${r.status}, ${r.bytes} bytes)`);
    await scu.release();
    best = Math.max(best, STORE_BYTES / MB / s);
  }
  return best;
}

async function setupRate(v: Variant): Promise<number> {
  checkDeadline();
  const t0 = Date.now();
  let n = 0;
  while (n < ECHO_MAX && Date.now() - t0 < ECHO_MS) {
    const scu = await RawScu.open({ connect: v.connect, calledAe: 'PACS', callingAe: 'MODALITY' });
    if (!scu.accepted) throw new Error(`${v.name}: association ${n} not accepted: ${JSON.stringify(scu.outcome)}`);
    if ((await scu.echo()) !== 0) throw new Error(`${v.name}: C-ECHO failed`);
    await scu.release();
    n++;
  }
  return n / ((Date.now() - t0) / 1000);
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

async function startGatewayProcess(configFile: string, adminPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--max-semi-space-size=1', join(root, 'bin', 'dicom-tls-gateway.js'), 'start', '--config', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  child.stderr!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`gateway exited (${code}):\n${output}`))));
  exited.catch(() => {});
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      ),
      exited,
    ]);
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`gateway not ready after 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function table(results: Result[]): string {
  const by = (name: string) => results.find((r) => r.name === name);
  const rows: string[][] = [['variant', 'C-STORE MB/s', 'C-ECHO assoc/s']];
  for (const r of results) rows.push([r.name, fmt(r.mbPerS), fmt(r.assocPerS)]);
  const ratio = (a?: Result, b?: Result) =>
    a && b ? [fmt(a.mbPerS / b.mbPerS, 2), fmt(a.assocPerS / b.assocPerS, 2)] : ['n/a', 'n/a'];
  const direct = by('direct');
  const plain = by('gateway plain');
  const tlsGw = by('gateway TLS->plain');
  const stunnel = by('stunnel TLS->plain');
  rows.push(['ratio gateway plain / direct', ...ratio(plain, direct)]);
  rows.push(['ratio gateway TLS / direct', ...ratio(tlsGw, direct)]);
  rows.push(['ratio gateway TLS / stunnel', ...ratio(tlsGw, stunnel)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'dtg-bench-'));
  let scp: RawScp | null = null;
  let gateway: ChildProcess | null = null;
  let stunnel: Stunnel | null = null;
  try {
    log('minting certificates, starting SCP');
    const pki = await mintPki(['MODALITY']);
    await writeFile(join(dir, 'gw.crt'), pki.gateway.cert);
    await writeFile(join(dir, 'gw.key'), pki.gateway.key);
    await writeFile(join(dir, 'ca.crt'), pki.ca.cert);
    scp = await startRawScp({ hash: false });
    const [lan, secure, admin] = (await freePorts(3)) as [number, number, number];
    const configFile = join(dir, 'gateway.yaml');
    await writeFile(
      configFile,
      `aeTitle: GATEWAY
tls: { cert: gw.crt, key: gw.key, ca: ca.crt }
listeners:
  - { name: lan, host: 127.0.0.1, port: ${lan} }
  - { name: secure, host: 127.0.0.1, port: ${secure}, tls: true }
nodes:
  PACS: { host: 127.0.0.1, port: ${scp.port} }
  MODALITY: { host: 127.0.0.1, port: 1 }
rules:
  - { from: [MODALITY], to: [PACS] }
admin: { host: 127.0.0.1, port: ${admin} }
limits: { maxAssociations: 1024, maxAssociationsPerNode: 1024 }
log: { level: error }
`,
    );
    log('starting the gateway (bin/dicom-tls-gateway.js start)');
    gateway = await startGatewayProcess(configFile, admin);
    const clientTls = { ca: pki.ca.cert, cert: pki.clients.MODALITY!.cert, key: pki.clients.MODALITY!.key };
    const variants: Variant[] = [
      { name: 'direct', connect: tcpConnect(scp.port) },
      { name: 'gateway plain', connect: tcpConnect(lan) },
      { name: 'gateway TLS->plain', connect: tlsConnect(secure, clientTls) },
    ];
    try {
      stunnel = await stunnelServer({ connectPort: scp.port, cert: join(dir, 'gw.crt'), key: join(dir, 'gw.key'), ca: join(dir, 'ca.crt') });
      variants.push({ name: 'stunnel TLS->plain', connect: tlsConnect(stunnel.acceptPort, clientTls) });
    } catch (err) {
      log(`stunnel unavailable, skipping (d): ${(err as Error).message.split('\n')[0]}`);
    }

    const results: Result[] = [];
    for (const v of variants) {
      log(`${v.name}: C-STORE ${STORE_RUNS} x ${STORE_BYTES / MB} MB, then C-ECHO associations for ${ECHO_MS} ms`);
      // One warm-up association so JIT and TLS session setup do not count against the first variant.
      await setupRate({ ...v, name: `${v.name} (warm-up)` }).catch(() => 0);
      const mbPerS = await throughput(v);
      const assocPerS = await setupRate(v);
      results.push({ name: v.name, mbPerS, assocPerS });
    }

    // RSS growth of the gateway over one 1 GB association.
    checkDeadline();
    log(`gateway RSS: relaying ${RSS_BYTES / MB} MB in one data set (plain listener)`);
    const pid = gateway.pid!;
    const before = await rssOf(pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssOf(pid).catch(() => 0));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const scu = await RawScu.open({ connect: tcpConnect(lan), calledAe: 'PACS', callingAe: 'MODALITY' });
    if (!scu.accepted) throw new Error('1 GB association not accepted');
    const t0 = Date.now();
    const r = await scu.store({ size: RSS_BYTES, seed: 99, hash: false });
    const took = (Date.now() - t0) / 1000;
    await scu.release();
    sampling = false;
    await sampler;
    const got = scp.stores.at(-1);
    if (r.status !== 0 || got?.bytes !== RSS_BYTES) throw new Error(`1 GB C-STORE failed: status ${r.status}, node got ${got?.bytes} bytes`);
    const growth = peak - before;

    process.stdout.write(`\ndicom-tls-gateway relay benchmark (loopback, ${STORE_BYTES / MB} MB C-STORE best of ${STORE_RUNS}; C-ECHO associations: open, echo, release, sequential)\n\n`);
    process.stdout.write(`${table(results)}\n\n`);
    process.stdout.write(
      `gateway RSS while relaying ${RSS_BYTES / MB} MB in one data set: before ${fmt(before / MB)} MB, peak ${fmt(peak / MB)} MB, growth ${fmt(growth / MB)} MB (limit ${RSS_LIMIT / MB} MB; ${fmt(RSS_BYTES / MB / took)} MB/s)\n`,
    );
    process.stdout.write(`total time ${fmt((Date.now() - started) / 1000)} s\n`);
    if (growth >= RSS_LIMIT) {
      process.stdout.write(`FAIL: gateway RSS grew ${fmt(growth / MB)} MB over one association (limit ${RSS_LIMIT / MB} MB)\n`);
      return 1;
    }
    return 0;
  } finally {
    await stopProcess(gateway);
    await stunnel?.stop();
    await scp?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
