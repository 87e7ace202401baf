import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlAuditSink } from '../../src/audit/sinks/jsonl.ts';
import { EVENTS } from './fixtures.ts';

const CONTRACT_FIELDS = ['time', 'event', 'listener', 'peer', 'callingAe', 'calledAe', 'node', 'tlsSubject', 'outcome', 'reason'];

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'every line ends with a newline');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('JsonlAuditSink', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-jsonl-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the folder and writes one parseable object per line with the contract fields', async () => {
    const file = join(dir, 'nested', 'logs', 'audit.jsonl');
    const sink = new JsonlAuditSink(file);
    for (const e of Object.values(EVENTS)) sink.record(e);
    await sink.close();
    const got = await lines(file);
    assert.equal(got.length, Object.keys(EVENTS).length);
    for (const obj of got) {
      for (const f of CONTRACT_FIELDS) assert.ok(f in obj, `field ${f} in ${obj['event']}`);
      assert.match(String(obj['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    const released = got.find((o) => o['event'] === 'association-released');
    assert.deepEqual(released?.['dimse'], { 'C-FIND': 2 });
    assert.equal(released?.['bytesToCaller'], 2000);
    const rejected = got.find((o) => o['event'] === 'association-rejected');
    assert.equal(rejected?.['reason'], 'calling-ae-not-recognized');
    assert.equal(rejected?.['outcome'], 'failure');
    assert.equal(rejected?.['node'], null);
    assert.equal((await stat(file)).mode & 0o007, 0, 'not world-readable');
  });

  it('record() returns at once and keeps order across many writes', async () => {
    const file = join(dir, 'order.jsonl');
    const sink = new JsonlAuditSink(file);
    const base = EVENTS['association-accepted'];
    for (let i = 0; i < 500; i++) sink.record({ ...base, associationId: `a-${i}` });
    assert.equal(sink.stats.written, 0, 'nothing written synchronously');
    await sink.close();
    const got = await lines(file);
    assert.deepEqual(
      got.map((o) => o['associationId']),
      Array.from({ length: 500 }, (_, i) => `a-${i}`),
    );
    assert.equal(sink.stats.written, 500);
  });

  it('appends to an existing file', async () => {
    const file = join(dir, 'append.jsonl');
    const a = new JsonlAuditSink(file);
    a.record(EVENTS['gateway-started']);
    await a.close();
    const b = new JsonlAuditSink(file);
    b.record(EVENTS['gateway-stopped']);
    await b.close();
    assert.deepEqual(
      (await lines(file)).map((o) => o['event']),
      ['gateway-started', 'gateway-stopped'],
    );
  });

  it('reopen() starts a new file after logrotate moved the old one', async () => {
    const file = join(dir, 'rotate.jsonl');
    const sink = new JsonlAuditSink(file);
    sink.record(EVENTS['gateway-started']);
    await sink.reopen();
    await rename(file, `${file}.1`);
    sink.record(EVENTS['association-accepted']); // still goes to the moved file (same fd)
    await sink.reopen();
    sink.record(EVENTS['gateway-stopped']);
    await sink.close();
    assert.deepEqual(
      (await lines(`${file}.1`)).map((o) => o['event']),
      ['gateway-started', 'association-accepted'],
    );
    assert.deepEqual(
      (await lines(file)).map((o) => o['event']),
      ['gateway-stopped'],
    );
  });

  it('bounds its queue, drops the oldest and never throws when the file cannot be opened', async () => {
    const errors: Error[] = [];
    // A path below a regular file can never be created.
    const blocker = join(dir, 'blocker');
    const w = new JsonlAuditSink(blocker);
    w.record(EVENTS['gateway-started']);
    await w.close();
    const sink = new JsonlAuditSink(join(blocker, 'audit.jsonl'), { maxQueue: 3, onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) sink.record(EVENTS['association-accepted']);
    assert.equal(sink.stats.queued, 3);
    assert.equal(sink.stats.dropped, 7);
    await sink.close();
    assert.equal(sink.stats.failed, 3);
    assert.ok(errors.length >= 1);
    sink.record(EVENTS['gateway-stopped']); // after close: ignored, no throw
  });
});
