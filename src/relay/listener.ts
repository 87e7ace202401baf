// A listening socket, plain or TLS, handing each accepted connection to a new Association. The
// listener reads its config through a getter so a reload that keeps host/port/tls updates
// allowFrom and the rest in place without re-binding (CONTRACT: a listener that stays keeps its socket).
import net from 'node:net';
import tls from 'node:tls';
import type { ListenerConfig } from '../config/types.ts';
import { addressAllowed } from '../policy/address.ts';
import type { PeerIdentity } from '../policy/identity.ts';
import type { Logger } from '../obs/log.ts';
import { peerOf, type GatewaySocket } from './transport.ts';

export interface ListenerHooks {
  config(): ListenerConfig;
  log: Logger;
  /** A connection passed allowFrom (and, on TLS, the handshake). */
  onConnection(socket: GatewaySocket, tlsPeer: PeerIdentity | null): void;
  onRefused(socket: net.Socket, reason: 'allow-from' | 'draining'): void;
  onTlsFailure(error: Error, peer: string): void;
  accepting(): boolean;
  peerIdentity(socket: tls.TLSSocket): PeerIdentity | null;
  handshakeTimeoutMs(): number;
}

export class Listener {
  private server: net.Server | tls.Server | null = null;
  bound = false;
  readonly name: string;
  readonly key: string; // host:port:tls: what forces a re-bind when it changes

  constructor(
    private readonly hooks: ListenerHooks,
    private readonly tlsOptions: tls.TlsOptions | null,
  ) {
    const c = hooks.config();
    this.name = c.name;
    this.key = listenerKey(c);
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  open(): Promise<void> {
    const c = this.hooks.config();
    const gate = (socket: net.Socket): boolean => {
      const cfg = this.hooks.config();
      if (!this.hooks.accepting()) {
        this.hooks.onRefused(socket, 'draining');
        socket.destroy();
        return false;
      }
      if (!addressAllowed(socket.remoteAddress ?? '', cfg.allowFrom)) {
        this.hooks.onRefused(socket, 'allow-from');
        socket.destroy();
        return false;
      }
      return true;
    };
    if (this.tlsOptions) {
      const server = tls.createServer({ ...this.tlsOptions, handshakeTimeout: this.hooks.handshakeTimeoutMs() });
      // A TLS socket that Node destroys for a bad client certificate has lost its address by the
      // time tlsClientError fires, so the raw socket's address is noted at connect.
      const peers = new WeakMap<net.Socket, string>();
      // 'connection' fires for the raw TCP socket before the handshake: allowFrom is checked there.
      server.on('connection', (socket: net.Socket) => {
        socket.on('error', () => {});
        peers.set(socket, peerOf(socket).text);
        gate(socket);
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        socket.setNoDelay(true);
        this.hooks.onConnection(socket, this.hooks.peerIdentity(socket));
      });
      server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
        const raw = (socket as unknown as { _parent?: net.Socket })._parent;
        const peer = socket.remoteAddress ? peerOf(socket).text : ((raw && peers.get(raw)) ?? peerOf(socket).text);
        this.hooks.onTlsFailure(verifyErrorOf(socket) ?? err, peer);
        socket.destroy();
      });
      this.server = server;
    } else {
      const server = net.createServer((socket) => {
        socket.on('error', () => {});
        if (!gate(socket)) return;
        socket.setNoDelay(true);
        this.hooks.onConnection(socket, null);
      });
      this.server = server;
    }
    const server = this.server;
    server.on('error', (err) => this.hooks.log.error({ err, listener: c.name }, 'listener error'));
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`listener ${c.name}: cannot listen on ${c.host}:${c.port}: ${err.message}`));
      server.once('error', onError);
      server.listen({ host: c.host, port: c.port }, () => {
        server.removeListener('error', onError);
        this.bound = true;
        this.hooks.log.info({ listener: c.name, host: c.host, port: this.port, tls: c.tls }, 'listening');
        resolve();
      });
    });
  }

  /** New TLS material (reload): new handshakes use it, open connections keep theirs. */
  setSecureContext(options: tls.SecureContextOptions): void {
    if (this.server instanceof tls.Server) this.server.setSecureContext(options);
  }

  /** Stops accepting; open associations are not touched. */
  close(): Promise<void> {
    const server = this.server;
    this.bound = false;
    if (!server) return Promise.resolve();
    // close() stops accepting at once; its callback would wait for every open connection, which
    // is the association registry's business (drain), not the listener's.
    server.close();
    return Promise.resolve();
  }
}

export function listenerKey(c: ListenerConfig): string {
  return `${c.host}:${c.port}:${c.tls ? 'tls' : 'plain'}:${c.tls ? `${c.requireClientCert}:${c.profile ?? ''}` : ''}`;
}

/**
 * A client certificate that fails verification (unknown CA, expired) passes OpenSSL's handshake;
 * Node then checks it, stores the verify code in `authorizationError` and destroys the socket, so
 * tlsClientError only says ECONNRESET. The code is what an admin needs to see.
 */
function verifyErrorOf(socket: tls.TLSSocket): Error | null {
  const v: unknown = socket.authorizationError;
  if (v === undefined || v === null || v === '') return null;
  const code = v instanceof Error ? ((v as NodeJS.ErrnoException).code ?? v.message) : String(v);
  return Object.assign(new Error(`client certificate rejected: ${code}`), { code });
}
