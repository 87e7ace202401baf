// Typed reads from the YAML syntax tree, each problem recorded as a ConfigIssue at the 1-based
// line and column of the offending key or value. Validators read through a Reader and never see
// raw yaml nodes' quirks (aliases, nulls, numbers where strings were meant).
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue } from './types.ts';
import { didYouMean } from './did-you-mean.ts';
import { expandEnv } from './env.ts';

/** A value at a path. `value` is null when the key is absent or its value is YAML null. */
export interface Field {
  path: string;
  value: Node | null;
  at: number; // offset to report at: the value, else its key, else the enclosing mapping
  keyAt?: number; // offset of the key, when the key is present
}

export interface MapView {
  field: Field;
  keys: string[]; // in file order, duplicates removed
  get(key: string): Field;
}

export interface Source {
  file: string;
  text: string;
  lineCounter: LineCounter;
  doc: Document.Parsed;
  env: Record<string, string | undefined>;
}

/** Path shown for problems that belong to no field (a syntax error at the top, an empty file). */
export const ROOT_PATH = '(root)';

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'boolean') return `${v}`;
    if (typeof v === 'number' || typeof v === 'bigint') return `the number ${String(v)}`;
    if (typeof v === 'string') return `the string '${v}'`;
  }
  return 'an unsupported value';
}

export class Reader {
  readonly issues: ConfigIssue[] = [];

  constructor(readonly src: Source) {}

  report(severity: ConfigIssue['severity'], at: number, path: string, message: string): void {
    const { line, col } = this.src.lineCounter.linePos(at);
    this.issues.push({ file: this.src.file, line, col, path: path === '' ? ROOT_PATH : path, message, severity });
  }

  error(f: Field | number, message: string, path?: string): void {
    this.report('error', typeof f === 'number' ? f : f.at, path ?? (typeof f === 'number' ? '' : f.path), message);
  }

  warn(f: Field, message: string): void {
    this.report('warning', f.at, f.path, message);
  }

  hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }

  /** Aliases resolve to their anchor's node; YAML null becomes null. */
  private deref(node: unknown): Node | null {
    let n = node;
    if (isAlias(n)) n = n.resolve(this.src.doc) ?? null;
    if (n === null || n === undefined) return null;
    if (isScalar(n) && n.value === null) return null;
    return n as Node;
  }

  private field(path: string, node: unknown, fallbackAt: number, keyAt?: number): Field {
    const value = this.deref(node);
    // A null value sits after its key's colon; pointing at the key reads better.
    const range = value === null ? undefined : (node as Node | null | undefined)?.range;
    const at = range ? range[0] : (keyAt ?? fallbackAt);
    return { path, value, at, keyAt };
  }

  root(): Field {
    return this.field('', this.src.doc.contents, 0);
  }

  /** Reports a missing required value: at the enclosing mapping if the key is absent. */
  missing(f: Field): void {
    const key = f.path.slice(f.path.lastIndexOf('.') + 1);
    this.error(f, f.keyAt === undefined ? `missing required key '${key}'` : `'${key}' needs a value`);
  }

  /**
   * The entries of a mapping. Duplicate keys and, when `known` is given, unknown keys are errors
   * at the key. Returns undefined (after reporting) when the value is not a mapping.
   */
  map(f: Field, known: readonly string[] | null): MapView | undefined {
    if (f.value === null) return undefined;
    if (!isMap(f.value)) {
      this.error(f, `expected a mapping (key: value lines), got ${describe(f.value)}`);
      return undefined;
    }
    const entries = new Map<string, Field>();
    for (const pair of f.value.items) {
      const keyNode = this.deref(pair.key);
      const keyAt = (pair.key as Node | null)?.range?.[0] ?? f.at;
      if (!isScalar(keyNode) || typeof keyNode.value === 'object') {
        this.error(keyAt, 'a key must be a plain name', f.path);
        continue;
      }
      const key = typeof keyNode.value === 'string' ? keyNode.value : (keyNode.source ?? String(keyNode.value));
      const path = childPath(f.path, key);
      const first = entries.get(key);
      if (first) {
        const { line, col } = this.src.lineCounter.linePos(first.keyAt ?? first.at);
        this.error(keyAt, `duplicate key '${key}' (first at line ${line}, column ${col})`, path);
        continue;
      }
      if (known && !known.includes(key)) {
        this.error(keyAt, `unknown key '${key}'${didYouMean(key, known)}`, path);
        continue;
      }
      entries.set(key, this.field(path, pair.value, f.at, keyAt));
    }
    return {
      field: f,
      keys: [...entries.keys()],
      get: (key) => entries.get(key) ?? { path: childPath(f.path, key), value: null, at: f.at },
    };
  }

  /** The items of a list; a single scalar is not promoted to a list, so typos stay visible. */
  list(f: Field): Field[] | undefined {
    if (f.value === null) return undefined;
    if (!isSeq(f.value)) {
      const v = isScalar(f.value) ? f.value.value : undefined;
      const hint = typeof v === 'string' ? ` (for one item write [${v}])` : '';
      this.error(f, `expected a list, got ${describe(f.value)}${hint}`);
      return undefined;
    }
    return f.value.items.map((item, i) => this.field(childPath(f.path, i), item, f.at));
  }

  /**
   * The scalar's value with ${VAR} expanded in strings. Unset variables are errors at their
   * position unless `unset` is given, which receives their names instead (admin.token).
   */
  private scalar(f: Field, unset?: (names: string[]) => void): { value: unknown; expanded: boolean } | undefined {
    if (f.value === null) return undefined;
    if (!isScalar(f.value)) return { value: f.value, expanded: false };
    const raw = f.value.value;
    if (typeof raw !== 'string') return { value: raw, expanded: false };
    const x = expandEnv(raw, this.src.env);
    if (x.problems.length === 0) return { value: x.value, expanded: x.expanded };
    if (unset && x.problems.every((p) => p.kind === 'undefined')) {
      unset(x.problems.map((p) => p.name));
      return undefined;
    }
    for (const p of x.problems) this.error(this.varOffset(f, raw, p.index), p.message, f.path);
    return undefined;
  }

  /** Where the n-th `${` of the value sits in the file (quotes and escapes shift it). */
  private varOffset(f: Field, raw: string, index: number): number {
    const range = f.value?.range;
    if (!range) return f.at;
    const n = raw.slice(0, index).split('${').length - 1;
    const source = this.src.text.slice(range[0], range[1]);
    let pos = -1;
    for (let i = 0; i <= n; i++) {
      pos = source.indexOf('${', pos + 1);
      if (pos < 0) return f.at;
    }
    return range[0] + pos;
  }

  string(f: Field, opts: { unset?: (names: string[]) => void } = {}): string | undefined {
    const s = this.scalar(f, opts.unset);
    if (s === undefined) return undefined;
    if (typeof s.value === 'string') return s.value;
    // An unquoted number where text was meant (aeTitle: 104, commonName: 2024) is kept as written.
    if (isScalar(f.value) && (typeof s.value === 'number' || typeof s.value === 'bigint')) {
      return f.value.source ?? String(s.value);
    }
    this.error(f, `expected a string, got ${describe(f.value)}`);
    return undefined;
  }

  integer(f: Field, min: number, max: number, rangeText: string): number | undefined {
    const s = this.scalar(f);
    if (s === undefined) return undefined;
    let v = s.value;
    // ${PORT} in a number field: the expansion is text, read it as a number.
    if (typeof v === 'string' && s.expanded && /^-?\d+$/.test(v.trim())) v = Number(v.trim());
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      const hint = typeof v === 'string' && /^\d+\s*(ms|s|m|h)$/.test(v) ? ' (durations are plain milliseconds)' : '';
      const got = s.expanded ? `'${String(v)}'` : describe(f.value);
      this.error(f, `expected an integer, got ${got}${hint}`);
      return undefined;
    }
    if (v < min || v > max) {
      this.error(f, `${v} is out of range: ${rangeText}`);
      return undefined;
    }
    return v;
  }

  boolean(f: Field): boolean | undefined {
    const s = this.scalar(f);
    if (s === undefined) return undefined;
    let v = s.value;
    if (typeof v === 'string' && s.expanded && /^(true|false)$/.test(v)) v = v === 'true';
    if (typeof v !== 'boolean') {
      const hint = typeof v === 'string' && /^(yes|no|on|off|y|n|True|False|TRUE|FALSE)$/.test(v) ? ' (YAML 1.2: write true or false)' : '';
      this.error(f, `expected true or false, got ${describe(f.value)}${hint}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(f: Field, values: readonly T[], what: string): T | undefined {
    const s = this.string(f);
    if (s === undefined) return undefined;
    if ((values as readonly string[]).includes(s)) return s as T;
    this.error(f, `unknown ${what} '${s}'${didYouMean(s, values)}; expected one of: ${values.join(', ')}`);
    return undefined;
  }
}
