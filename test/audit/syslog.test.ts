import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { once } from 'node:events';
import { formatSyslog, octetFrame, SyslogAuditSink } from '../../src/audit/sinks/syslog.ts';
import { EVENTS } from './fixtures.ts';

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) - (<\?xml .*<\/AuditMessage>)$/s;

function parse(msg: string) {
  const m = RFC5424.exec(msg);
  assert.ok(m, `not an RFC 5424 message: ${msg.slice(0, 120)}`);
  const [, pri, time, host, app, procId, msgId, xml] = m;
  return { pri: Number(pri), time, host, app, procId, msgId, xml: xml as string };
}

/** Reads RFC 6587 octet-counted frames off a stream. */
function octetReader(onMessage: (msg: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp === -1) return;
      const len = Number(buf.subarray(0, sp).toString('ascii'));
      assert.ok(Number.isInteger(len) && len > 0, 'MSG-LEN is a positive integer');
      if (buf.length < sp + 1 + len) return;
      onMessage(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

async function tcpReceiver() {
  const messages: string[] = [];
  const sockets = new Set<net.Socket>();
  let waiter: (() => void) | null = null;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on(
      'data',
      octetReader((m) => {
        messages.push(m);
        waiter?.();
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const waitFor = async (n: number) => {
    while (messages.length < n) await new Promise<void>((r) => (waiter = r));
  };
  const dropClients = () => {
    for (const s of sockets) s.destroy();
  };
  const close = async () => {
    dropClients();
    server.close();
    await once(server, 'close');
  };
  return { port, messages, waitFor, dropClients, close };
}

const fmt = { sourceId: 'GATEWAY', hostName: 'gw.example', appName: 'dicom-tls-gateway', procId: '77' };

describe('formatSyslog', () => {
  it('builds RFC 5424 with PRI <85> for success, <84> for failure, MSGID DICOM+RFC3881', () => {
    const ok = parse(formatSyslog(EVENTS['association-accepted'], fmt));
    assert.equal(ok.pri, 85); // facility 10 * 8 + severity 5
    assert.equal(ok.time, '2026-11-25T10:00:00.000Z');
    assert.equal(ok.host, 'gw.example');
    assert.equal(ok.app, 'dicom-tls-gateway');
    assert.equal(ok.procId, '77');
    assert.equal(ok.msgId, 'DICOM+RFC3881');
    assert.match(ok.xml, /<EventID csd-code="110114"/);
    assert.equal(parse(formatSyslog(EVENTS['tls-failure'], fmt)).pri, 84);
  });

  it('keeps header fields printable ASCII', () => {
    const m = parse(formatSyslog(EVENTS['gateway-started'], { ...fmt, hostName: 'bad host\u00e9', appName: '' }));
    assert.equal(m.host, 'bad_host_');
    assert.equal(m.app, '-');
  });

  it('octetFrame prefixes the UTF-8 byte length', () => {
    assert.equal(octetFrame('<85>1 é').toString('utf8'), '8 <85>1 é');
  });
});

describe('SyslogAuditSink', () => {
  it('sends one RFC 5424 datagram per event over UDP', async () => {
    const rx = dgram.createSocket('udp4');
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    const got: string[] = [];
    const two = new Promise<void>((resolve) =>
      rx.on('message', (m) => {
        got.push(m.toString('utf8'));
        if (got.length === 2) resolve();
      }),
    );
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port: rx.address().port, protocol: 'udp', sourceId: 'GATEWAY', hostName: 'gw' });
    sink.record(EVENTS['association-accepted']);
    sink.record(EVENTS['association-rejected']);
    await two;
    await sink.close();
    rx.close();
    const [a, b] = got.map(parse);
    assert.equal(a?.pri, 85);
    assert.match(a?.xml ?? '', /UserID="CLOUD_AI"/);
    assert.equal(b?.pri, 84);
    assert.match(b?.xml ?? '', /<EventID csd-code="110113"/);
    assert.equal(sink.stats.sent, 2);
  });

  it('sends octet-counted frames over TCP, in order', async () => {
    const rx = await tcpReceiver();
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port: rx.port, protocol: 'tcp', sourceId: 'GATEWAY', hostName: 'gw' });
    const kinds = Object.keys(EVENTS) as (keyof typeof EVENTS)[];
    for (const k of kinds) sink.record(EVENTS[k]);
    await rx.waitFor(kinds.length);
    await sink.close();
    await rx.close();
    assert.equal(rx.messages.length, kinds.length);
    for (const [i, m] of rx.messages.entries()) {
      const p = parse(m);
      assert.match(p.xml, new RegExp(`<EventOutcomeDescription>${kinds[i]}`));
    }
    assert.equal(sink.stats.sent, kinds.length);
  });

  it('reconnects after the receiver drops the connection', async () => {
    const rx = await tcpReceiver();
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port: rx.port, protocol: 'tcp', sourceId: 'GATEWAY', minBackoffMs: 20 });
    sink.record(EVENTS['gateway-started']);
    await rx.waitFor(1);
    rx.dropClients();
    while (sink.stats.connected) await new Promise((r) => setTimeout(r, 10));
    sink.record(EVENTS['association-accepted']);
    await rx.waitFor(2);
    assert.match(rx.messages[1] ?? '', /110122/);
    await sink.close();
    await rx.close();
  });

  it('spools while the receiver is away, bounded: drops the oldest and counts them, never throws', async () => {
    // A port with nothing listening: connections are refused.
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    probe.close();
    await once(probe, 'close');

    const errors: Error[] = [];
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port, protocol: 'tcp', sourceId: 'GATEWAY', maxSpool: 5, minBackoffMs: 10, maxBackoffMs: 40, onError: (e) => errors.push(e) });
    for (let i = 0; i < 20; i++) sink.record({ ...EVENTS['association-accepted'], associationId: `a-${i}` });
    assert.equal(sink.stats.queued, 5);
    assert.equal(sink.stats.dropped, 15);
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(sink.stats.connectFailures >= 2, 'retried with backoff');
    assert.equal(errors.length, 1, 'an outage is reported once');
    assert.equal(sink.stats.queued, 5);

    const t0 = Date.now();
    await sink.close(100);
    assert.ok(Date.now() - t0 < 1000, 'close() does not hang on an absent receiver');
    assert.equal(sink.stats.dropped, 20);
  });

  it('delivers what was spooled once the receiver comes up', async () => {
    const rx = await tcpReceiver();
    const port = rx.port;
    await rx.close();
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port, protocol: 'tcp', sourceId: 'GATEWAY', maxSpool: 3, minBackoffMs: 10, maxBackoffMs: 20 });
    for (let i = 0; i < 5; i++) sink.record({ ...EVENTS['association-accepted'], associationId: `a-${i}` });
    await new Promise((r) => setTimeout(r, 30));
    const got: string[] = [];
    const server = net.createServer((s) => s.on('data', octetReader((m) => got.push(m))));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    while (got.length < 3) await new Promise((r) => setTimeout(r, 10));
    await sink.close();
    server.close();
    assert.deepEqual(
      got.map((m) => /association=(a-\d)/.exec(m)?.[1]),
      ['a-2', 'a-3', 'a-4'],
    );
  });
});

describe('SyslogAuditSink over TLS', () => {
  it('sends octet-counted frames over TLS using the given tlsOptions', async () => {
    const { cert, key } = selfSigned();
    const got: string[] = [];
    const server = tls.createServer({ cert, key }, (s) => s.on('data', octetReader((m) => got.push(m))));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port, protocol: 'tls', sourceId: 'GATEWAY', tlsOptions: { ca: cert, servername: 'localhost' } });
    sink.record(EVENTS['certificate-failure']);
    while (got.length < 1) await new Promise((r) => setTimeout(r, 10));
    await sink.close();
    server.close();
    const p = parse(got[0] ?? '');
    assert.equal(p.pri, 84);
    assert.match(p.xml, /UserName="CN=evil"/);
  });

  it('does not send to a receiver whose certificate is not trusted', async () => {
    const { cert, key } = selfSigned();
    let received = 0;
    const server = tls.createServer({ cert, key }, (s) => s.on('data', () => received++));
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const errors: Error[] = [];
    const sink = new SyslogAuditSink({ host: '127.0.0.1', port, protocol: 'tls', sourceId: 'GATEWAY', minBackoffMs: 10, onError: (e) => errors.push(e) });
    sink.record(EVENTS['gateway-started']);
    while (errors.length < 1) await new Promise((r) => setTimeout(r, 10));
    await sink.close(50);
    server.close();
    assert.equal(received, 0);
    assert.match(errors[0]?.message ?? '', /certificate/i);
  });
});

function selfSigned(): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  c.serialNumber = '01';
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 86_400_000);
  const name = [{ name: 'commonName', value: 'localhost' }];
  c.setSubject(name);
  c.setIssuer(name);
  c.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  c.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(c), key: keyPem };
}
