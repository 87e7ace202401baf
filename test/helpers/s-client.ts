// `openssl s_client` as an independent TLS peer for interop tests: it reports what was negotiated
// and, on failure, which alert the *server* sent (OpenSSL prints "ssl3_read_bytes:... alert ...:
// SSL alert number N" only for alerts it received), so a refusal can be told apart from the
// client giving up on its own. Optionally it carries a tiny DICOM exchange (A-ASSOCIATE-RQ, then
// A-RELEASE-RQ) to prove the session is usable, not just that the handshake bytes went through.
import { spawn } from 'node:child_process';

export interface SClientOptions {
  port: number;
  /** Extra s_client arguments: version (-tls1_2), -cipher, -cert/-key, ... */
  args: string[];
  /** Trust anchors for the server certificate (-CAfile, with -verify_return_error). */
  ca: string;
  /** Sent after the handshake: an A-ASSOCIATE-RQ, answered before `release` is sent. */
  dicom?: { rq: Buffer; acMarker: Buffer; release: Buffer };
  timeoutMs?: number; // default 15 s; the process is killed after it
}

export interface SClientResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** From -brief's "Protocol version:" / "Ciphersuite:"; undefined when no session was established. */
  protocol?: string;
  cipher?: string;
  /** An alert received from the server, e.g. { number: 70, text: 'tlsv1 alert protocol version' }. */
  alertReceived?: { number: number; text: string };
  /** dicom only: the A-ASSOCIATE-AC marker and the A-RELEASE-RP came back. */
  associated: boolean;
  released: boolean;
}

const RELEASE_RP = Buffer.from([0x06, 0x00, 0, 0, 0, 4, 0, 0, 0, 0]);

export function sClient(o: SClientOptions): Promise<SClientResult> {
  const args = [
    's_client',
    '-connect', `127.0.0.1:${o.port}`,
    '-servername', 'localhost',
    '-CAfile', o.ca,
    '-verify_return_error',
    // Without it s_client reads a leading 'Q'/'R'/'k' of stdin as a command, not data.
    '-nocommands',
    // Summary (protocol, suite, verification) on stderr; stdout then carries only the peer's bytes.
    '-brief',
    ...o.args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let associated = false;
    let released = false;
    let timedOut = false;
    const stdout = (): Buffer => Buffer.concat(out);
    child.stdin.on('error', () => {}); // EPIPE when s_client has already quit
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (!o.dicom) return;
      const all = stdout();
      if (!associated && all.includes(o.dicom.acMarker)) {
        associated = true;
        child.stdin.write(o.dicom.release);
      }
      if (associated && !released && all.includes(RELEASE_RP)) {
        released = true;
        child.stdin.end(); // EOF: s_client closes the connection and exits
      }
    });
    if (o.dicom) child.stdin.write(o.dicom.rq);
    else child.stdin.end(); // handshake only: quit right after it
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 15_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const protocol = /^Protocol version: (\S+)/m.exec(err)?.[1];
      const cipher = /^Ciphersuite: (\S+)/m.exec(err)?.[1];
      const alert = /ssl3_read_bytes:([^:]*alert[^:]*):.*SSL alert number (\d+)/.exec(err);
      resolve({
        code,
        stdout: stdout(),
        stderr: err,
        timedOut,
        ...(protocol ? { protocol } : {}),
        ...(cipher ? { cipher } : {}),
        ...(alert ? { alertReceived: { number: Number(alert[2]), text: alert[1]! } } : {}),
        associated,
        released,
      });
    });
  });
}
