// A scripted DICOM acceptor that answers every A-ASSOCIATE-RQ with a fixed A-ASSOCIATE-RJ (or
// A-ABORT). Used to pin the exact text DCMTK prints for each reject, independent of the gateway.
import net from 'node:net';

export type ScriptedAnswer = { rj: { result: number; source: number; reason: number } } | { abort: { source: number; reason: number } };

export interface ScriptedScp {
  port: number;
  /** Called AE / Calling AE of every A-ASSOCIATE-RQ seen, in order. */
  requests: { calledAe: string; callingAe: string }[];
  stop(): Promise<void>;
}

export async function scriptedScp(answer: ScriptedAnswer): Promise<ScriptedScp> {
  const requests: { calledAe: string; callingAe: string }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 6 || buf.length < 6 + buf.readUInt32BE(2)) return;
      if (buf[0] === 0x01 && buf.length >= 74) {
        requests.push({ calledAe: buf.toString('latin1', 10, 26).trim(), callingAe: buf.toString('latin1', 26, 42).trim() });
      }
      const pdu = Buffer.alloc(10);
      if ('rj' in answer) {
        pdu.writeUInt8(0x03, 0);
        pdu.writeUInt32BE(4, 2);
        pdu.writeUInt8(answer.rj.result, 7);
        pdu.writeUInt8(answer.rj.source, 8);
        pdu.writeUInt8(answer.rj.reason, 9);
      } else {
        pdu.writeUInt8(0x07, 0);
        pdu.writeUInt32BE(4, 2);
        pdu.writeUInt8(answer.abort.source, 8);
        pdu.writeUInt8(answer.abort.reason, 9);
      }
      sock.end(pdu);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
