// ${VAR} and ${VAR:-default} expansion in scalar strings. `$${` stands for a literal `${`.
// Shell semantics for `:-`: the default applies when the variable is unset or empty.

export interface Expansion {
  value: string;
  expanded: boolean; // true when at least one ${...} was substituted
  /** Problems, each at `index`, a character offset into the unexpanded string. */
  problems: { index: number; kind: 'undefined' | 'malformed'; name: string; message: string }[];
}

const REF = /\$\$\{|\$\{([^}]*)(\}?)/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function expandEnv(raw: string, env: Record<string, string | undefined>): Expansion {
  const problems: Expansion['problems'] = [];
  let expanded = false;
  const value = raw.replace(REF, (match: string, body: string | undefined, close: string, index: number) => {
    if (match === '$${') return '${';
    expanded = true;
    const inner = body ?? '';
    const sep = inner.indexOf(':-');
    const name = sep < 0 ? inner : inner.slice(0, sep);
    if (close !== '}' || !NAME.test(name)) {
      problems.push({
        index,
        kind: 'malformed',
        name,
        message: `malformed variable reference '${match}': expected \${NAME} or \${NAME:-default} (write $\${ for a literal \${)`,
      });
      return match;
    }
    const v = env[name];
    if (sep >= 0) return v === undefined || v === '' ? inner.slice(sep + 2) : v;
    if (v === undefined) {
      problems.push({ index, kind: 'undefined', name, message: `environment variable ${name} is not set (use \${${name}:-default} for a fallback)` });
      return match;
    }
    return v;
  });
  return { value, expanded, problems };
}
