import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditSink, FanOutAuditSink } from '../../src/audit/index.ts';
import { JsonlAuditSink } from '../../src/audit/sinks/jsonl.ts';
import { SyslogAuditSink } from '../../src/audit/sinks/syslog.ts';
import type { AuditEvent, AuditSink } from '../../src/audit/events.ts';
import { EVENTS } from './fixtures.ts';

describe('createAuditSink', () => {
  it('is a no-op sink when nothing is configured', async () => {
    const sink = createAuditSink({}, { aeTitle: 'GATEWAY' });
    assert.equal(sink.sinks.length, 0);
    sink.record(EVENTS['gateway-started']);
    await sink.reopen();
    await sink.close();
  });

  it('fans out to the file and syslog sinks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-fan-'));
    const rx = dgram.createSocket('udp4');
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    const datagram = once(rx, 'message');
    const file = join(dir, 'audit.jsonl');
    const sink = createAuditSink({ file, syslog: { host: '127.0.0.1', port: rx.address().port, protocol: 'udp' } }, { aeTitle: 'GW_AE' });
    assert.ok(sink.sinks[0] instanceof JsonlAuditSink);
    assert.ok(sink.sinks[1] instanceof SyslogAuditSink);
    sink.record(EVENTS['association-accepted']);
    const [msg] = (await datagram) as [Buffer];
    assert.match(msg.toString(), /AuditSourceID="GW_AE"/);
    await sink.reopen();
    await sink.close();
    rx.close();
    const line = JSON.parse((await readFile(file, 'utf8')).trim()) as AuditEvent;
    assert.equal(line.event, 'association-accepted');
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps feeding the other sinks when one throws', async () => {
    const got: AuditEvent[] = [];
    const broken: AuditSink = {
      record: () => {
        throw new Error('broken');
      },
      close: async () => Promise.reject(new Error('broken')),
    };
    const fan = new FanOutAuditSink([broken, { record: (e) => got.push(e), close: async () => undefined }]);
    fan.record(EVENTS['gateway-stopped']);
    assert.equal(got.length, 1);
    await fan.close();
  });
});
