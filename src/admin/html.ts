// HTML building for the status page. The page shows caller-supplied AE titles and TLS subjects, so
// every interpolated value is escaped by default: the `html` tag escapes each value unless it is
// already SafeHtml (the result of another `html` call), which makes forgetting to escape impossible.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escape text for use in HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return s.replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Markup that is already escaped. Only `html` creates it. */
export class SafeHtml {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  toString(): string {
    return this.#value;
  }
}

/**
 * Markup written in this codebase (the page's stylesheet): passed through unescaped. Never call it
 * with anything that comes from config, the network or the runtime.
 */
export function trustedConstant(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(v: Interpolation): string {
  if (v instanceof SafeHtml) return v.toString();
  if (Array.isArray(v)) return v.map((x: Interpolation) => render(x)).join('');
  return escapeHtml(v);
}

/** Tagged template: literal parts are trusted markup, every value is escaped. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}
