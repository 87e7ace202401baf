// AE title syntax for config values: the policy layer's rules (PS3.5 6.2, VR AE), so the config
// accepts exactly the titles the gateway can match at run time. Messages quote the offending value.
import { aeTitleProblem, normalizeAeTitle, printableAeTitle } from '../policy/ae-title.ts';

/** The trimmed title, or an explanation of why `raw` is not a valid AE title. */
export function checkAeTitle(raw: string): { ok: true; title: string } | { ok: false; reason: string } {
  const problem = aeTitleProblem(raw);
  if (problem === null) return { ok: true, title: normalizeAeTitle(raw) };
  return { ok: false, reason: `${problem}: '${printableAeTitle(raw, 64)}'` };
}
