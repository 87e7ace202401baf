// Transport for listeners and node connections: plain TCP or TLS from one code path. TLS is an
// option on the same socket type (a Duplex), so the association relay never knows which it has.
import net from 'node:net';
import tls from 'node:tls';
import type { NodeConfig, TlsProfileName } from '../config/types.ts';

export type GatewaySocket = net.Socket | tls.TLSSocket;

export class NodeConnectError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'refused' | 'tls' | 'certificate' | 'other',
  ) {
    super(message);
    this.name = 'NodeConnectError';
  }
}

export interface ConnectOptions {
  node: NodeConfig;
  timeoutMs: number;
  /** Builds the TLS client options for a TLS node (mutual TLS, the node's profile). */
  tlsOptions?: (node: NodeConfig, profile: TlsProfileName) => tls.ConnectionOptions;
  profile: TlsProfileName;
  /** Extra identity check on the node's verified certificate; returns a mismatch text or null. */
  verifyPeer?: (socket: tls.TLSSocket) => string | null;
}

/** Opens TCP (+TLS) to a node within timeoutMs. Resolves once the socket is ready for PDUs. */
export function connectToNode(o: ConnectOptions): Promise<GatewaySocket> {
  return new Promise((resolve, reject) => {
    const { node } = o;
    let settled = false;
    let socket: GatewaySocket;
    const fail = (err: NodeConnectError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new NodeConnectError(`no answer from ${node.host}:${node.port} within ${o.timeoutMs} ms`, 'timeout')),
      o.timeoutMs,
    );
    const ready = () => {
      if (settled) return;
      if (socket instanceof tls.TLSSocket && o.verifyPeer) {
        const mismatch = o.verifyPeer(socket);
        if (mismatch) return fail(new NodeConnectError(mismatch, 'certificate'));
      }
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const kind = code === 'ECONNREFUSED' ? 'refused' : code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'tls' : 'other';
      fail(new NodeConnectError(`${node.host}:${node.port}: ${err.message}`, kind));
    };
    if (node.tls) {
      if (!o.tlsOptions) return fail(new NodeConnectError('node uses TLS but no TLS material is configured', 'tls'));
      socket = tls.connect({ ...o.tlsOptions(node, node.profile ?? o.profile), host: node.host, port: node.port }, ready);
    } else {
      socket = net.connect({ host: node.host, port: node.port }, ready);
    }
    socket.on('error', onError);
  });
}

/** 'ip:port' of a socket's remote side, tolerant of sockets already closed. */
export function peerOf(socket: net.Socket): { address: string; port: number; text: string } {
  const address = socket.remoteAddress ?? 'unknown';
  const port = socket.remotePort ?? 0;
  return { address, port, text: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}` };
}
