// Loopback TCP port helpers for interop tests. Ports come from the kernel (bind :0), so parallel
// test files do not collide on hard-coded numbers.
import { readFile } from 'node:fs/promises';
import net from 'node:net';

const HOST = '127.0.0.1';

/** One free TCP port on 127.0.0.1 (bound, read, closed: a tiny race remains, as with any such helper). */
export async function freePort(): Promise<number> {
  const [p] = await freePorts(1);
  return p!;
}

/** `n` distinct free ports; all are held open together so the kernel cannot hand out one twice. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ host: HOST, port: 0, exclusive: true }, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** True when something accepts a TCP connection on host:port right now. */
export function isPortOpen(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Polls until host:port accepts connections; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = HOST): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortOpen(port, host, Math.min(1000, Math.max(50, deadline - Date.now())))) return;
    if (Date.now() >= deadline) throw new Error(`port ${host}:${port} not open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until nothing accepts connections on host:port (a server has really gone). */
export async function waitForPortClosed(port: number, timeoutMs = 10_000, host = HOST): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await isPortOpen(port, host, 500)) {
    if (Date.now() >= deadline) throw new Error(`port ${host}:${port} still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when a socket is in LISTEN state on `port` (any address), per /proc/net/tcp{,6}: Linux only. */
export async function isListening(port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[1]?.endsWith(`:${hex}`)) return true;
    }
  }
  return false;
}

/**
 * Waits for a LISTEN socket without connecting to it. Use this for proxies (stunnel, the gateway)
 * in front of a single-process SCP: a probe connection through them can occupy storescp until its
 * 30 s ACSE timeout (observed with stunnel 5.68 -> storescp +tls).
 */
export async function waitForListen(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isListening(port))) {
    if (Date.now() >= deadline) throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
