// Command line: start | check | certs init | certs show. The only place that listens on the admin
// port, installs signal handlers and calls process.exit (STYLE section 5).
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { GatewayConfig } from './config/types.ts';
import { formatIssue } from './config/types.ts';
import { loadConfigFile } from './config/load.ts';
import { createLogger, type Logger } from './obs/log.ts';
import { Gateway } from './relay/gateway.ts';
import { buildAdmin } from './admin/app.ts';
import { checkTlsMaterial } from './tls/material.ts';
import { certsInit, certsIssue, certsShow, ensureDevPki } from './tls/pki.ts';
import { VERSION } from './version.ts';

const DEFAULT_CONFIG = 'config/gateway.yaml';

const USAGE = `dicom-tls-gateway ${VERSION}

usage:
  dicom-tls-gateway start [--config FILE]     run the gateway (default FILE: ${DEFAULT_CONFIG})
  dicom-tls-gateway check [--config FILE]     validate the config and its certificates
  dicom-tls-gateway certs init [--dir DIR] [--gateway-name NAME] [--peer AE ...] [--force] [--days N]
  dicom-tls-gateway certs issue [--dir DIR] --peer AE [--peer AE ...] [--force] [--days N]
                                              more peer certificates from the CA in DIR
  dicom-tls-gateway certs show FILE
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'check':
        process.exitCode = await check(rest);
        return;
      case 'certs':
        process.exitCode = await certs(rest);
        return;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return;
      case '--version':
        process.stdout.write(`${VERSION}\n`);
        return;
      default:
        process.stderr.write(`unknown command '${command}'\n\n${USAGE}`);
        process.exitCode = 2;
    }
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

function configPath(args: string[]): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
  return resolve(values.config ?? DEFAULT_CONFIG);
}

async function loadOrExplain(file: string): Promise<GatewayConfig | null> {
  const { config, issues } = await loadConfigFile(file);
  for (const i of issues) process.stderr.write(`${formatIssue(i)}\n`);
  return config;
}

// ---- start --------------------------------------------------------------------------------------

async function start(args: string[]): Promise<void> {
  const file = configPath(args);
  const config = await loadOrExplain(file);
  if (!config) {
    process.exitCode = 1;
    return;
  }
  const log = createLogger(config.log.level);
  await makeDevPkiIfMissing(config, log);
  const gateway = await Gateway.start(config, { log });
  const admin = await buildAdmin(gateway.adminDeps(), { logger: false });
  await admin.listen({ host: config.admin.host, port: config.admin.port });
  log.info({ admin: `http://${config.admin.host}:${config.admin.port}/`, aeTitle: config.aeTitle, version: VERSION }, 'gateway ready');

  // Last-resort guards. Every association already catches its own failures; anything reaching here
  // is a bug. A rejected promise is logged and the gateway carries on (other transfers are fine);
  // an uncaught exception may have left state broken, so log it and exit for the supervisor.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection (bug): the gateway carries on'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception (bug): exiting');
    log.flush?.();
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: gateway.config.limits.shutdownGraceMs }, 'stopping: draining associations');
    const r = await gateway.drain();
    log.info(r, 'drained');
    await gateway.stop();
    await admin.close();
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading config and certificates');
    void gateway.reload();
  });
}

/** First start on a fresh clone: the shipped config points at certs/ that do not exist yet. Make a
 *  lab PKI there, but only when none of the three files exists and they have the dev PKI's names,
 *  so a real deployment with a typo in a path gets an error, not a silent self-signed CA. */
async function makeDevPkiIfMissing(config: GatewayConfig, log: Logger): Promise<void> {
  const t = config.tls;
  if (!t) return;
  const files = [t.cert, t.key, t.ca];
  if (files.some((f) => existsSync(f))) return;
  const dir = dirname(t.cert);
  const devNames = basename(t.cert) === 'gateway.crt' && basename(t.key) === 'gateway.key' && basename(t.ca) === 'ca.crt';
  if (!devNames || dirname(t.key) !== dir || dirname(t.ca) !== dir) return;
  const peers = [...config.nodes.values()].filter((n) => n.tls || n.certificate).map((n) => n.name);
  await ensureDevPki({ dir, gatewayName: 'localhost', peers });
  log.warn({ dir, peers }, `no certificates found: made a development PKI in ${dir} (CA, gateway, one client certificate per TLS peer). Replace it with your own for production: see README "Certificates".`);
}

// ---- check --------------------------------------------------------------------------------------

async function check(args: string[]): Promise<number> {
  const file = configPath(args);
  const { config, issues } = await loadConfigFile(file);
  for (const i of issues) process.stdout.write(`${formatIssue(i)}\n`);
  if (!config) {
    process.stdout.write(`${file}: not usable (${issues.filter((i) => i.severity === 'error').length} errors)\n`);
    return 1;
  }
  let errors = 0;
  if (config.tls) {
    for (const f of await checkTlsMaterial(config.tls)) {
      if (f.severity === 'error') errors++;
      process.stdout.write(`${f.file ?? file}: ${f.severity}: ${f.message}\n`);
    }
  }
  const warnings = issues.filter((i) => i.severity === 'warning').length;
  process.stdout.write(
    errors
      ? `${file}: not usable (${errors} certificate errors)\n`
      : `${file}: OK: ${config.listeners.length} listeners, ${config.nodes.size} nodes, ${config.rules.length} rules${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`,
  );
  return errors ? 1 : 0;
}

// ---- certs --------------------------------------------------------------------------------------

async function certs(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'init') {
    const { values } = parseArgs({
      args: rest,
      options: {
        dir: { type: 'string', default: 'certs' },
        'gateway-name': { type: 'string', default: 'localhost' },
        peer: { type: 'string', multiple: true, default: [] },
        force: { type: 'boolean', default: false },
        days: { type: 'string' },
        ip: { type: 'string', multiple: true, default: [] },
      },
    });
    const r = await certsInit({
      dir: resolve(values.dir!),
      gatewayName: values['gateway-name']!,
      peers: values.peer!,
      force: values.force!,
      days: values.days ? Number(values.days) : undefined,
      ipAddresses: values.ip!,
    });
    for (const f of r.written) process.stdout.write(`wrote ${f}\n`);
    return 0;
  }
  if (sub === 'issue') {
    const { values } = parseArgs({
      args: rest,
      options: {
        dir: { type: 'string', default: 'certs' },
        peer: { type: 'string', multiple: true, default: [] },
        force: { type: 'boolean', default: false },
        days: { type: 'string' },
      },
    });
    const r = await certsIssue({ dir: resolve(values.dir!), peers: values.peer!, force: values.force!, days: values.days ? Number(values.days) : undefined });
    for (const f of r.written) process.stdout.write(`wrote ${f}\n`);
    return 0;
  }
  if (sub === 'show') {
    const file = rest[0];
    if (!file) {
      process.stderr.write('usage: dicom-tls-gateway certs show FILE\n');
      return 2;
    }
    process.stdout.write(`${await certsShow(resolve(file))}\n`);
    return 0;
  }
  process.stderr.write(`unknown certs command '${sub ?? ''}'\n\n${USAGE}`);
  return 2;
}
