// A small NAT topology in Linux network namespaces for the NAT-crossing interop tests (needs root,
// iproute2, iptables). The hospital side is the root namespace, where the gateway, Orthanc and the
// destination SCPs already run with the usual helpers; a `nat` namespace routes between the
// hospital link and a clinic link and masquerades the clinic behind its hospital-side address; the
// `clinic` namespace holds the callers, with its default route via the router.
//
//   root (hospital)            <prefix>-nat (router)                  <prefix>-clinic
//   <prefix>h0 10.231.N.1 ---- <prefix>h1 10.231.N.2
//                              <prefix>c0 10.232.N.1 ------------- <prefix>c1 10.232.N.2
//
// The router forwards clinic -> hospital (MASQUERADE) and only replies back, like any home or
// clinic router: a new connection from the hospital towards the clinic is dropped. Root gets a
// route to the clinic subnet via the router so that such a probe stays on this machine (without
// it, it would follow the default route off the host). Everything lives inside the two namespaces
// or on the veth whose other end is in one of them: deleting the namespaces removes it all.
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, spawnDaemon } from './proc.ts';
import type { Daemon, RunOptions, RunResult } from './proc.ts';
import { tempDir } from './tmp.ts';

export interface Topology {
  prefix: string;
  /** Namespace names. */
  nat: string;
  clinic: string;
  /** The hospital side's own address on the link to the router (root namespace). */
  hospitalAddress: string;
  /** The router's hospital-side address: every clinic connection appears to come from it. */
  routerHospitalAddress: string;
  routerClinicAddress: string;
  clinicAddress: string;
  clinicSubnet: string;
  /** Runs a command inside a namespace to completion. */
  execIn(ns: string, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a daemon inside a namespace (stopped with daemon.stop(), or when the test process dies). */
  spawnIn(name: string, ns: string, cmd: string, args: readonly string[], opts?: { cwd?: string }): Daemon;
  /** Waits until something listens on TCP `port` inside `ns` (read from the namespace's /proc/net/tcp, no probe connect). */
  waitForListenIn(ns: string, port: number, timeoutMs?: number): Promise<void>;
  /** TCP connect from `ns` ('root' = the hospital side) to host:port; true if it connected within timeoutMs. */
  canConnect(ns: string | 'root', host: string, port: number, timeoutMs?: number): Promise<boolean>;
  destroy(): Promise<void>;
}

/** `ip [-n ns] -batch -`: one process for many commands; the first failing line is reported. */
async function ipBatch(global: readonly string[], lines: readonly string[]): Promise<void> {
  const r = await runWithInput('ip', [...global, '-batch', '-'], lines.join('\n') + '\n');
  if (r.code !== 0) throw new Error(`ip ${global.join(' ')} -batch failed (${r.code}): ${r.stderr.trim()}\n${lines.join('\n')}`);
}

function runWithInput(cmd: string, args: readonly string[], input: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
    child.stdin!.end(input);
  });
}

async function inNs(ns: string, cmd: string, args: readonly string[]): Promise<void> {
  const r = await run('ip', ['netns', 'exec', ns, cmd, ...args], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`[${ns}] ${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

function nsExists(name: string): boolean {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .some((l) => l.split(' ')[0] === name);
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces left by a test run that was SIGKILLed (its after hook and exit handler never ran). */
function removeStale(): void {
  let list: string;
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = /^(dtg(\d+)(?:x\d+)?-(?:nat|clinic))\b/.exec(line);
    if (m && !pidAlive(Number(m[2]))) {
      try {
        execFileSync('ip', ['netns', 'del', m[1]!]);
      } catch {
        /* raced with another cleaner */
      }
    }
  }
}

/** A third octet N for which neither 10.231.N.0/24 nor 10.232.N.0/24 is in use in the root namespace. */
function freeOctet(): number {
  const used = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }) + execFileSync('ip', ['-4', 'addr'], { encoding: 'utf8' });
  for (let i = 0; i < 250; i++) {
    const n = ((process.pid + i) % 250) + 1;
    if (!used.includes(`10.231.${n}.`) && !used.includes(`10.232.${n}.`)) return n;
  }
  throw new Error('no free 10.231.N.0/24 test subnet');
}

let seq = 0;

export async function createTopology(): Promise<Topology> {
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root');
  removeStale();
  // One run may build several topologies (seq); interface names stay within IFNAMSIZ (15).
  const prefix = `dtg${process.pid}${seq ? `x${seq}` : ''}`;
  seq++;
  const nat = `${prefix}-nat`;
  const clinic = `${prefix}-clinic`;
  const n = freeOctet();
  const hospitalAddress = `10.231.${n}.1`;
  const routerHospitalAddress = `10.231.${n}.2`;
  const routerClinicAddress = `10.232.${n}.1`;
  const clinicAddress = `10.232.${n}.2`;
  const clinicSubnet = `10.232.${n}.0/24`;
  const [h0, h1, c0, c1] = [`${prefix}h0`, `${prefix}h1`, `${prefix}c0`, `${prefix}c1`];

  let destroyed = false;
  const destroySync = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of [clinic, nat]) {
      if (!nsExists(ns)) continue;
      try {
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        /* best effort at exit */
      }
    }
  };
  // The after hook normally cleans up; this covers an uncaught error or process.exit in between.
  process.once('exit', destroySync);

  try {
    // A few batched commands rather than twenty `ip` processes: setup stays well under a second.
    await ipBatch([], [
      `netns add ${nat}`,
      `netns add ${clinic}`,
      // Hospital link: root <-> router.
      `link add ${h0} type veth peer name ${h1} netns ${nat}`,
      `addr add ${hospitalAddress}/24 dev ${h0}`,
      `link set ${h0} up`,
    ]);
    await ipBatch(['-n', nat], [
      // Clinic link: router <-> clinic.
      `link add ${c0} type veth peer name ${c1} netns ${clinic}`,
      `addr add ${routerHospitalAddress}/24 dev ${h1}`,
      `addr add ${routerClinicAddress}/24 dev ${c0}`,
      ...['lo', h1, c0].map((d) => `link set ${d} up`),
    ]);
    await ipBatch(['-n', clinic], [`addr add ${clinicAddress}/24 dev ${c1}`, 'link set lo up', `link set ${c1} up`, `route add default via ${routerClinicAddress}`]);
    // Keeps the hospital's probes towards the clinic on this machine (see the header).
    await ipBatch([], [`route add ${clinicSubnet} via ${routerHospitalAddress} dev ${h0}`]);
    // The router: forwarding (per namespace), masquerading, and stateful: only replies come back in.
    await inNs(nat, 'sh', [
      '-ec',
      [
        'sysctl -q -w net.ipv4.ip_forward=1',
        `iptables -t nat -A POSTROUTING -o ${h1} -j MASQUERADE`,
        `iptables -A FORWARD -i ${h1} -o ${c0} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
        `iptables -A FORWARD -i ${h1} -o ${c0} -j DROP`,
      ].join('\n'),
    ]);
  } catch (e) {
    destroySync();
    process.removeListener('exit', destroySync);
    throw e;
  }

  const execIn = (ns: string, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> =>
    run('ip', ['netns', 'exec', ns, cmd, ...args], opts);

  const listeningIn = async (ns: string, port: number): Promise<boolean> => {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const r = await execIn(ns, 'cat', ['/proc/net/tcp', '/proc/net/tcp6'], { timeoutMs: 5000 });
    return r.stdout.split('\n').some((line) => {
      const cols = line.trim().split(/\s+/);
      return cols[3] === '0A' && cols[1]?.endsWith(hex) === true;
    });
  };

  return {
    prefix,
    nat,
    clinic,
    hospitalAddress,
    routerHospitalAddress,
    routerClinicAddress,
    clinicAddress,
    clinicSubnet,
    execIn,
    // `ip netns exec` execs the program in place, so the daemon's SIGTERM reaches it directly.
    spawnIn: (name, ns, cmd, args, opts) => spawnDaemon(name, 'ip', ['netns', 'exec', ns, cmd, ...args], opts),
    async waitForListenIn(ns, port, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await listeningIn(ns, port))) {
        if (Date.now() >= deadline) throw new Error(`nothing listening on port ${port} in ${ns} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async canConnect(ns, host, port, timeoutMs = 1500) {
      const js =
        `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});` +
        `const t=setTimeout(()=>{console.log('timeout');process.exit(2)},${timeoutMs});` +
        `s.on('connect',()=>{console.log('connected');s.destroy();clearTimeout(t)});` +
        `s.on('error',e=>{console.log(e.code);process.exit(1)})`;
      const r = ns === 'root' ? await run(process.execPath, ['-e', js]) : await execIn(ns, process.execPath, ['-e', js]);
      return r.code === 0 && r.stdout.includes('connected');
    },
    async destroy() {
      process.removeListener('exit', destroySync);
      if (destroyed) return;
      destroyed = true;
      const gone = [clinic, nat].filter(nsExists);
      if (gone.length) await ipBatch([], gone.map((ns) => `netns del ${ns}`));
    },
  };
}

export interface NsStunnelClientOptions {
  acceptPort: number; // plain TCP arrives on 127.0.0.1:acceptPort inside the namespace
  connectHost: string;
  connectPort: number;
  cert: string;
  key: string;
  ca: string;
}

/** stunnel client mode inside a namespace: the DCMTK tools without TLS (movescu, getscu) reach a
 *  TLS listener through it, and the TLS connection leaves from that namespace. */
export async function stunnelClientIn(topo: Topology, ns: string, o: NsStunnelClientOptions): Promise<{ acceptPort: number; daemon: Daemon; stop(): Promise<void> }> {
  const tmp = await tempDir('dtg-nsstunnel-');
  const conf = join(tmp.dir, 'stunnel.conf');
  await writeFile(
    conf,
    [
      'foreground = yes',
      'pid =',
      'debug = warning',
      'syslog = no',
      '[client]',
      'client = yes',
      `accept = 127.0.0.1:${o.acceptPort}`,
      `connect = ${o.connectHost}:${o.connectPort}`,
      `cert = ${o.cert}`,
      `key = ${o.key}`,
      `CAfile = ${o.ca}`,
      'verifyChain = yes',
      'sslVersionMin = TLSv1.2',
    ].join('\n') + '\n',
  );
  const daemon = topo.spawnIn('stunnel', ns, 'stunnel4', [conf]);
  const stop = async (): Promise<void> => {
    await daemon.stop(3000);
    await tmp.cleanup();
  };
  try {
    await Promise.race([
      topo.waitForListenIn(ns, o.acceptPort),
      daemon.exited.then(() => {
        throw new Error(`stunnel exited at startup: ${daemon.stderr()}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { acceptPort: o.acceptPort, daemon, stop };
}
