// The brief's memory bound: data PDVs stream through, so relaying a 1 GB instance grows the
// gateway's RSS by less than 64 MB. The gateway runs as its own process (the real CLI), so the RSS
// sampled from /proc is the gateway's alone; storescu sends a 1 GB file to storescp through it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeInstances, type Instance } from '../helpers/dicom-files.ts';
import { storescp, storescu, type RunningStorescp } from '../helpers/dcmtk.ts';
import { freePorts, waitForListen } from '../helpers/ports.ts';
import { spawnDaemon, type Daemon } from '../helpers/proc.ts';
import { tempDir } from '../helpers/tmp.ts';

const MB = 1024 * 1024;
const root = join(import.meta.dirname, '..', '..');

let work: { dir: string; cleanup(): Promise<void> };
let archive: RunningStorescp;
let gateway: Daemon;
let lan: number;
let big: Instance;

async function rssOf(pid: number): Promise<number> {
  const kb = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** The gateway's node process: the watchdog shell's only child. */
async function gatewayPid(shellPid: number): Promise<number> {
  const children = (await readFile(`/proc/${shellPid}/task/${shellPid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
  for (const c of children) {
    const cmd = await readFile(`/proc/${c}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('dicom-tls-gateway')) return Number(c);
  }
  throw new Error(`gateway process not found under ${shellPid}`);
}

before(async () => {
  work = await tempDir('dtg-mem-');
  const [archivePort, lanPort, adminPort] = await freePorts(3);
  lan = lanPort!;
  archive = await storescp({ port: archivePort!, aet: 'ARCHIVE', outDir: join(work.dir, 'in') });
  const config = join(work.dir, 'gateway.yaml');
  await writeFile(
    config,
    [
      'aeTitle: GATEWAY',
      'listeners:',
      `  - { name: lan, host: 127.0.0.1, port: ${lan} }`,
      'nodes:',
      `  ARCHIVE: { host: 127.0.0.1, port: ${archivePort} }`,
      '  MODALITY: { host: 127.0.0.1, port: 1 }',
      'rules:',
      '  - { from: [MODALITY], to: [ARCHIVE] }',
      `admin: { host: 127.0.0.1, port: ${adminPort} }`,
      'log: { level: warn }',
      '',
    ].join('\n'),
  );
    // Started as `npm start` and the bin's shebang start it (same V8 flag).
  gateway = spawnDaemon('gateway', process.execPath, ['--max-semi-space-size=1', join(root, 'bin', 'dicom-tls-gateway.js'), 'start', '--config', config], { cwd: root });
  await waitForListen(lan, 30_000);
  big = (await makeInstances(join(work.dir, 'out'), { count: 1, patientId: 'MEM-1GB', bytesPerInstance: 1024 * MB }))[0]!;
});

after(async () => {
  await gateway?.stop();
  await archive?.stop();
  await work?.cleanup();
});

test('a 1 GB instance crosses byte-exact and the gateway RSS grows by less than 64 MB', async (t) => {
  const pid = await gatewayPid(gateway.pid);
  const before = await rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => {
    rssOf(pid).then((r) => (peak = Math.max(peak, r)), () => {});
  }, 50);
  const t0 = Date.now();
  const r = await storescu({ port: lan, aet: 'MODALITY', aec: 'ARCHIVE', files: [big.path], timeoutMs: 600_000 });
  clearInterval(sampler);
  peak = Math.max(peak, await rssOf(pid));
  assert.ok(r.ok, r.output.slice(-4000));
  const growth = peak - before;
  t.diagnostic(`1 GB in ${Date.now() - t0} ms; gateway RSS ${(before / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB (+${(growth / MB).toFixed(1)} MB)`);
  assert.ok(growth < 64 * MB, `gateway RSS grew by ${(growth / MB).toFixed(1)} MB while relaying 1 GB`);
  const got = await archive.hashes();
  assert.equal(got.get(big.sopInstanceUid), big.datasetSha256);
});
