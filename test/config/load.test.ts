// loadConfigFile: reading the file, relative paths, unreadable files, and the shipped config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues, loadConfigFile } from '../../src/config/load.ts';

const SHIPPED = fileURLToPath(new URL('../../config/gateway.yaml', import.meta.url));
const REPO = path.dirname(path.dirname(SHIPPED));

test('the shipped config/gateway.yaml loads with no issue when GATEWAY_ADMIN_TOKEN is set', async () => {
  const { config, issues } = await loadConfigFile(SHIPPED, { GATEWAY_ADMIN_TOKEN: 't0ken' });
  assert.deepEqual(formatIssues(issues), []);
  assert.ok(config);
  assert.equal(config.aeTitle, 'GATEWAY');
  assert.equal(config.admin.token, 't0ken');
  assert.deepEqual(config.tls, {
    cert: path.join(REPO, 'certs/gateway.crt'),
    key: path.join(REPO, 'certs/gateway.key'),
    ca: path.join(REPO, 'certs/ca.crt'),
    profile: 'bcp195-rfc8996',
  });
  assert.deepEqual(config.listeners.map((l) => [l.name, l.host, l.port, l.tls, l.requireClientCert]), [
    ['secure', '127.0.0.1', 2762, true, true],
    ['lan', '127.0.0.1', 11112, false, false],
  ]);
  assert.deepEqual([...config.nodes.keys()], ['PACS', 'MODALITY', 'CLOUD_AI']);
  assert.equal(config.nodes.get('PACS')?.aeTitle, 'ORTHANC');
  assert.deepEqual(config.nodes.get('CLOUD_AI')?.certificate, { commonName: 'CLOUD_AI' });
  assert.deepEqual(config.rules, [
    { from: ['CLOUD_AI'], to: ['PACS'], services: ['C-ECHO', 'C-FIND', 'C-MOVE', 'C-GET', 'C-STORE'] },
    { from: ['MODALITY'], to: ['PACS', 'CLOUD_AI'] },
  ]);
  assert.equal(config.audit.file, path.join(REPO, 'logs/audit.jsonl'));
  assert.equal(config.log.level, 'info');
});

test('the shipped config runs without GATEWAY_ADMIN_TOKEN, with exactly one warning', async () => {
  const { config, issues } = await loadConfigFile(SHIPPED, {});
  assert.ok(config);
  assert.equal(config.admin.token, undefined);
  assert.deepEqual(
    issues.map((i) => [i.severity, i.path]),
    [['warning', 'admin.token']],
  );
});

test('a relative file name is made absolute, and relative paths resolve against its folder', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-config-'));
  try {
    await writeFile(
      path.join(dir, 'gw.yaml'),
      'aeTitle: GW\nlisteners: [{name: lan, port: 11112}]\nnodes: {PACS: {host: 10.0.0.1, port: 104}}\nrules: [{from: ["*"], to: [PACS]}]\naudit: {file: audit.jsonl}\n',
    );
    const rel = path.relative(process.cwd(), path.join(dir, 'gw.yaml'));
    const { config, issues } = await loadConfigFile(rel, {});
    assert.deepEqual(issues, []);
    assert.equal(config?.file, path.join(dir, 'gw.yaml'));
    assert.equal(config?.audit.file, path.join(dir, 'audit.jsonl'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unreadable file is one error at 1:1 naming the OS error', async () => {
  const missing = path.join(os.tmpdir(), 'gw-config-does-not-exist', 'gateway.yaml');
  const { config, issues } = await loadConfigFile(missing, {});
  assert.equal(config, null);
  assert.deepEqual(formatIssues(issues), [`${missing}:1:1: (root): cannot read the config file: no such file (ENOENT)`]);
});

test('a byte order mark does not shift columns', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-config-'));
  try {
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, '\ufeffaeTitle: "A\\\\B"\n');
    const { issues } = await loadConfigFile(file, {});
    assert.ok(formatIssues(issues).includes(`${file}:1:10: aeTitle: AE title contains a backslash at position 2: 'A?B'`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
