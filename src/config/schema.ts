// YAML text -> validated GatewayConfig, with every problem reported as FILE:LINE:COL. Pure: no
// file system; load.ts reads the file. Positions come from yaml's LineCounter; each validator
// reads through a Reader (reader.ts), which records issues at the offending key or value.
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { ConfigIssue, GatewayConfig, NodeConfig } from './types.ts';
import { ROOT_PATH, Reader, childPath } from './reader.ts';
import { readAdmin, readAeTitle, readAudit, readLimits, readLog, readTls } from './validate-sections.ts';
import { bindsClash, readListeners } from './validate-listeners.ts';
import { readNodes } from './validate-nodes.ts';
import { readRules } from './validate-rules.ts';

export { DEFAULT_ADMIN, DEFAULT_LIMITS, DEFAULT_TLS_PROFILE, LOG_LEVELS } from './validate-sections.ts';

export const TOP_LEVEL_KEYS = ['aeTitle', 'tls', 'listeners', 'nodes', 'rules', 'admin', 'limits', 'audit', 'log'] as const;


export interface ParseOptions {
  /** Absolute path of the file: shown in messages, and relative paths resolve against its folder. */
  file: string;
  env: Record<string, string | undefined>;
}

export interface ParseResult {
  config: GatewayConfig | null; // null when any issue is an error
  issues: ConfigIssue[]; // sorted by position
}

/** The dotted path of the innermost key or item around `offset`, for syntax errors. */
function pathAt(node: unknown, offset: number, at: string): string {
  const contains = (n: Node | null | undefined): boolean => !!n?.range && offset >= n.range[0] && offset <= n.range[2];
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      const start = key?.range?.[0];
      const end = value?.range?.[2] ?? key?.range?.[2];
      if (start !== undefined && end !== undefined && offset >= start && offset <= end) {
        const name = isScalar(key) ? String(key.value) : '?';
        return pathAt(value, offset, childPath(at, name));
      }
    }
  } else if (isSeq(node)) {
    const i = node.items.findIndex((item) => contains(item as Node));
    if (i >= 0) return pathAt(node.items[i], offset, childPath(at, i));
  }
  return at;
}

export function parseConfig(text: string, opts: ParseOptions): ParseResult {
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicates are reported by the Reader, with their path and the first position.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const r = new Reader({ file: opts.file, text, lineCounter, doc, env: opts.env });

  if (doc.errors.length > 0 || doc.warnings.length > 0) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      const severity = e.name === 'YAMLWarning' ? 'warning' : 'error';
      if (e.code === 'MULTIPLE_DOCS') {
        r.report(severity, e.pos[0], ROOT_PATH, "YAML syntax: a second document starts here ('---'); the config is one document");
        continue;
      }
      const message = e.message.replace(/\s+/g, ' ').trim();
      r.report(severity, e.pos[0], pathAt(doc.contents, e.pos[0], ''), `YAML syntax: ${message}`);
    }
    // Keep going only for warnings: after a syntax error the tree is a guess.
    if (doc.errors.length > 0) return finish(r, null);
  }

  const root = r.root();
  if (root.value === null) {
    r.error(root, 'the config is empty; it needs at least aeTitle, listeners and nodes', ROOT_PATH);
    return finish(r, null);
  }
  if (!isMap(root.value)) {
    r.error(root, 'expected a mapping of settings (aeTitle:, listeners:, nodes:, ...)', ROOT_PATH);
    return finish(r, null);
  }
  const top = r.map(root, TOP_LEVEL_KEYS);
  if (!top) return finish(r, null);
  const baseDir = path.dirname(opts.file);

  const aeField = top.get('aeTitle');
  const aeTitle = readAeTitle(r, aeField);
  if (aeField.value === null) r.missing(aeField);

  const tlsField = top.get('tls');
  const tls = readTls(r, tlsField, baseDir);
  const listeners = readListeners(r, top.get('listeners'));
  const nodesField = top.get('nodes');
  const { nodes, declared } = readNodes(r, nodesField, aeTitle);
  const unreachable = new Set([...nodes.values()].filter((n) => !n.config.reachable).map((n) => n.config.name));
  const rulesField = top.get('rules');
  const rules = readRules(r, rulesField, { declared, unreachable, gatewayAeTitle: aeTitle });
  const { admin, portField: adminPortField } = readAdmin(r, top.get('admin'));
  const limits = readLimits(r, top.get('limits'));
  const audit = readAudit(r, top.get('audit'), baseDir);
  const log = readLog(r, top.get('log'));

  // A TLS listener or node needs the gateway's certificate, key and CA.
  if (tlsField.value === null) {
    for (const e of [...listeners, ...nodes.values()]) {
      if (!e.config.tls) continue;
      const what = 'portField' in e ? 'listener' : 'node';
      r.error({ ...e.tlsField, at: e.tlsField.keyAt ?? e.tlsField.at }, `tls: true needs the top-level tls section (cert, key, ca) for this ${what}`);
    }
  }

  const clash = listeners.find((l) => bindsClash(l.config, admin));
  if (clash) {
    r.error(adminPortField, `${admin.host}:${admin.port} is also used by listener '${clash.config.name}' (${clash.field.path})`);
  }

  if (declared.size === 0 && !r.hasErrors()) {
    r.warn(nodesField.keyAt !== undefined ? nodesField : { ...nodesField, at: root.at }, 'no nodes: the gateway can only answer C-ECHO to its own AE title');
  } else if (rules.length === 0 && rulesField.value === null && !r.hasErrors()) {
    r.warn(rulesField.keyAt !== undefined ? rulesField : { ...rulesField, at: root.at }, 'no rules: every call to a node is rejected (default deny)');
  }

  if (r.hasErrors() || aeTitle === undefined) return finish(r, null);
  const config: GatewayConfig = {
    file: opts.file,
    aeTitle,
    listeners: listeners.map((l) => l.config),
    nodes: new Map<string, NodeConfig>([...nodes].map(([name, e]) => [name, e.config])),
    rules,
    admin,
    limits,
    audit,
    log,
  };
  if (tls) config.tls = tls;
  return finish(r, config);
}

function finish(r: Reader, config: GatewayConfig | null): ParseResult {
  const issues = [...r.issues].sort((a, b) => a.line - b.line || a.col - b.col);
  return { config: issues.some((i) => i.severity === 'error') ? null : config, issues };
}
