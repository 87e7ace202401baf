// stunnel4 wrappers: DCMTK's movescu/getscu have no TLS, so a TLS peer (the gateway's TLS
// listener) is reached through a local stunnel client; stunnelServer wraps a plain SCP in TLS.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitForListen } from './ports.ts';
import { spawnDaemon } from './proc.ts';
import type { Daemon } from './proc.ts';
import { tempDir } from './tmp.ts';

export interface Stunnel {
  acceptPort: number;
  daemon: Daemon;
  stop(): Promise<void>;
}

export interface StunnelClientOptions {
  acceptPort?: number; // default: a free port; plain TCP arrives here on 127.0.0.1
  connectHost?: string; // default 127.0.0.1
  connectPort: number; // the TLS server
  cert: string; // client certificate (PEM) presented to the server
  key: string;
  ca: string; // trust anchors for the server's chain
  checkHost?: string; // optional: verify the server certificate carries this DNS name
  sslVersionMin?: 'TLSv1.2' | 'TLSv1.3'; // default TLSv1.2
}

export interface StunnelServerOptions {
  acceptPort?: number; // default: a free port; TLS arrives here on 127.0.0.1
  connectHost?: string;
  connectPort: number; // the plain server behind
  cert: string;
  key: string;
  ca: string; // trust anchors for client certificates
  requireClientCert?: boolean; // default true (verifyChain)
}

async function start(name: string, lines: string[], acceptPort: number): Promise<Stunnel> {
  const tmp = await tempDir('dtg-stunnel-');
  const conf = join(tmp.dir, 'stunnel.conf');
  await writeFile(conf, [
    'foreground = yes', // logs to stderr, and stays our child (no daemonizing)
    'pid =', // no pid file
    'debug = warning',
    'syslog = no',
    `[${name}]`,
    ...lines,
  ].join('\n') + '\n');
  const daemon = spawnDaemon('stunnel', 'stunnel4', [conf]);
  const stop = async (): Promise<void> => {
    await daemon.stop(3000);
    await tmp.cleanup();
  };
  try {
    await Promise.race([
      waitForListen(acceptPort, 10_000), // a probe connect would open a real TLS session behind
      daemon.exited.then(() => {
        throw new Error(`stunnel exited at startup: ${daemon.stderr()}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { acceptPort, daemon, stop };
}

export async function stunnelClient(o: StunnelClientOptions): Promise<Stunnel> {
  const acceptPort = o.acceptPort ?? (await freePort());
  return start(
    'client',
    [
      'client = yes',
      `accept = 127.0.0.1:${acceptPort}`,
      `connect = ${o.connectHost ?? '127.0.0.1'}:${o.connectPort}`,
      `cert = ${o.cert}`,
      `key = ${o.key}`,
      `CAfile = ${o.ca}`,
      'verifyChain = yes',
      `sslVersionMin = ${o.sslVersionMin ?? 'TLSv1.2'}`,
      ...(o.checkHost ? [`checkHost = ${o.checkHost}`] : []),
    ],
    acceptPort,
  );
}

export async function stunnelServer(o: StunnelServerOptions): Promise<Stunnel> {
  const acceptPort = o.acceptPort ?? (await freePort());
  return start(
    'server',
    [
      `accept = 127.0.0.1:${acceptPort}`,
      `connect = ${o.connectHost ?? '127.0.0.1'}:${o.connectPort}`,
      `cert = ${o.cert}`,
      `key = ${o.key}`,
      `CAfile = ${o.ca}`,
      `verifyChain = ${o.requireClientCert === false ? 'no' : 'yes'}`,
      'sslVersionMin = TLSv1.2',
    ],
    acceptPort,
  );
}
