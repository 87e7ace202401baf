// AE title rules for the policy layer. PS3.8 Table 9-11 carries AE titles as 16 space-padded bytes;
// PS3.5 §6.2 (VR AE) says leading and trailing spaces are non-significant, the value is drawn from
// the Default Character Repertoire (ISO 646 G0) without backslash and control characters, and a
// value of all spaces means "no name". See dicom-facts 1.11.

/** Maximum significant length of an AE title (PS3.5 §6.2, VR AE: 16 bytes maximum). */
export const AE_TITLE_MAX_LENGTH = 16;

/**
 * The significant part of an AE title: leading and trailing spaces removed (PS3.5 §6.2: they are
 * non-significant). Only 0x20 is trimmed, not tabs or NULs: those are not padding but invalid
 * characters, which aeTitleProblem reports. Comparisons are exact after this (no case folding:
 * the standard defines none, dicom-facts 1.11).
 */
export function normalizeAeTitle(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) === 0x20) end--;
  return s.slice(start, end);
}

/** Exact comparison of two AE titles after trimming (CONTRACT "Association handling"). */
export function aeTitlesEqual(a: string, b: string): boolean {
  return normalizeAeTitle(a) === normalizeAeTitle(b);
}

/**
 * Why `s` is not a valid AE title, or null when it is. The length limit applies to the significant
 * (trimmed) part, because that is what the PDU and DIMSE encoders write, padded again to 16 bytes.
 */
export function aeTitleProblem(s: string): string | null {
  const t = normalizeAeTitle(s);
  // PS3.5 §6.2: "A value consisting solely of spaces shall not be used."
  if (t.length === 0) return s.length === 0 ? 'AE title is empty' : 'AE title consists only of spaces';
  if (t.length > AE_TITLE_MAX_LENGTH) return `AE title is ${t.length} characters long, at most ${AE_TITLE_MAX_LENGTH} are allowed`;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    // PS3.5 §6.2 VR AE: default repertoire "excluding character code 5CH (the BACKSLASH '\' in
    // ISO-IR 6) and all control characters"; the G0 graphic set is 0x20..0x7E (0x7F is DEL).
    if (c === 0x5c) return `AE title contains a backslash at position ${i + 1}`;
    if (c < 0x20 || c === 0x7f) return `AE title contains control character 0x${c.toString(16).padStart(2, '0').toUpperCase()} at position ${i + 1}`;
    if (c > 0x7e) return `AE title contains non-ASCII character U+${c.toString(16).padStart(4, '0').toUpperCase()} at position ${i + 1}`;
  }
  return null;
}

/**
 * A printable rendering of untrusted AE-title-like input for log messages and DIMSE comments:
 * anything outside ISO 646 G0 printable, and the backslash (the VR LO/AE delimiter), becomes '?',
 * and the result is cut to `max` characters. Used for caller-supplied values only.
 */
export function printableAeTitle(s: string, max = AE_TITLE_MAX_LENGTH): string {
  let out = '';
  for (const ch of normalizeAeTitle(s)) {
    const c = ch.codePointAt(0) ?? 0;
    out += c >= 0x20 && c <= 0x7e && c !== 0x5c ? ch : '?';
    if (out.length >= max) break;
  }
  return out;
}
