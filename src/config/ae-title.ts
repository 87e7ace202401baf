// AE title syntax, PS3.5 6.2 (VR AE): at most 16 characters from the Default Character Repertoire
// (ISO 646 G0, i.e. printable ASCII), no backslash, no control characters; leading and trailing
// spaces are not significant, and a value of only spaces is not a valid title.

/** The trimmed title, or an explanation of why `raw` is not a valid AE title. */
export function checkAeTitle(raw: string): { ok: true; title: string } | { ok: false; reason: string } {
  const title = raw.replace(/^ +| +$/g, '');
  if (title.length === 0) return { ok: false, reason: 'an AE title must not be empty or all spaces' };
  if (title.length > 16) return { ok: false, reason: `an AE title has at most 16 characters, '${title}' has ${title.length}` };
  for (const ch of title) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') return { ok: false, reason: `an AE title must not contain a backslash: '${title}'` };
    if (code < 0x20 || code > 0x7e) {
      const shown = code < 0x20 || code === 0x7f ? `control character 0x${code.toString(16).padStart(2, '0')}` : `'${ch}'`;
      return { ok: false, reason: `an AE title may hold only printable ASCII characters, not ${shown}` };
    }
  }
  return { ok: true, title };
}
