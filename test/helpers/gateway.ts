// Starts a real gateway in-process for tests: the YAML is written to a temp dir (relative paths in
// it resolve there), loaded through the same loader as `start`, and served with its admin API.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfigFile } from '../../src/config/load.ts';
import { formatIssue } from '../../src/config/types.ts';
import { Gateway } from '../../src/relay/gateway.ts';
import { buildAdmin } from '../../src/admin/app.ts';
import { createLogger } from '../../src/obs/log.ts';
import { createMetrics, type GatewayMetrics } from '../../src/obs/metrics.ts';
import type { FastifyInstance } from 'fastify';

export interface RunningGateway {
  dir: string;
  gateway: Gateway;
  metrics: GatewayMetrics;
  admin: FastifyInstance;
  adminUrl: string;
  port(listenerName: string): number;
  /** Rewrites the YAML file and reloads, as an admin editing the file and sending SIGHUP would. */
  reload(yaml?: string): ReturnType<Gateway['reload']>;
  auditLines(): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra files written next to gateway.yaml (relative path -> content). */
  files?: Record<string, string | Buffer>;
  env?: Record<string, string | undefined>;
  /** Log level; GATEWAY_TEST_LOG overrides (default silent). */
  logLevel?: string;
}

export async function startGateway(yaml: string, opts: StartOptions = {}): Promise<RunningGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'dtg-'));
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, yaml);
  const env = { ...process.env, ...opts.env };
  const { config, issues } = await loadConfigFile(file, env);
  if (!config) throw new Error(`test config invalid:\n${issues.map(formatIssue).join('\n')}`);
  const level = (process.env.GATEWAY_TEST_LOG ?? opts.logLevel ?? 'silent') as 'silent';
  const log = createLogger(level, process.stderr);
  const metrics = createMetrics(new Registry());
  const gateway = await Gateway.start(config, { log, metrics, env });
  const admin = await buildAdmin(gateway.adminDeps(), { logger: false });
  await admin.listen({ host: '127.0.0.1', port: config.admin.port });
  const addr = admin.server.address();
  const adminPort = addr && typeof addr === 'object' ? addr.port : 0;
  return {
    dir,
    gateway,
    metrics,
    admin,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    port: (name) => {
      const p = gateway.listenerPort(name);
      if (!p) throw new Error(`no listener named ${name}`);
      return p;
    },
    reload: async (newYaml?: string) => {
      if (newYaml !== undefined) await writeFile(file, newYaml);
      return gateway.reload();
    },
    auditLines: async () => {
      const f = config.audit.file;
      if (!f) return [];
      await new Promise((r) => setTimeout(r, 50)); // let the sink's queued writes land
      const text = await readFile(f, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    stop: async () => {
      await gateway.stop();
      await admin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
