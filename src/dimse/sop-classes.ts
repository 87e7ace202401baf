// Which DIMSE service an abstract syntax (SOP class UID) belongs to, for rules' `services` filter
// and for the C-GET -> C-MOVE bridge. UIDs from PS3.4 Annex C (Q/R) and PS3.6; see dicom-facts 2.8/2.10.
import type { DimseServiceName } from '../config/types.ts';

export const VERIFICATION = '1.2.840.10008.1.1';
export const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

const QR = '1.2.840.10008.5.1.4.1.2';

/** Q/R FIND SOP classes (and the worklist / other FIND-style models). */
export const FIND_CLASSES = new Set<string>([
  `${QR}.1.1`, // Patient Root FIND
  `${QR}.2.1`, // Study Root FIND
  `${QR}.3.1`, // Patient/Study Only FIND (retired)
  '1.2.840.10008.5.1.4.31', // Modality Worklist FIND
  '1.2.840.10008.5.1.4.32.1', // General Purpose Worklist FIND (retired)
  '1.2.840.10008.5.1.4.20.1', // Defined Procedure Protocol FIND
  '1.2.840.10008.5.1.4.39.2', // Hanging Protocol FIND
  '1.2.840.10008.5.1.4.38.2', // Color Palette FIND
  '1.2.840.10008.5.1.4.41', // Inventory FIND
]);

/** Q/R MOVE SOP classes. */
export const MOVE_CLASSES = new Set<string>([
  `${QR}.1.2`, // Patient Root MOVE
  `${QR}.2.2`, // Study Root MOVE
  `${QR}.3.2`, // Patient/Study Only MOVE (retired)
  `${QR}.4.2`, // Composite Instance Root Retrieve MOVE
  '1.2.840.10008.5.1.4.20.2', // Defined Procedure Protocol MOVE
  '1.2.840.10008.5.1.4.39.3', // Hanging Protocol MOVE
  '1.2.840.10008.5.1.4.38.3', // Color Palette MOVE
  '1.2.840.10008.5.1.4.42', // Inventory MOVE
]);

/** Q/R GET SOP classes, mapped to the MOVE twin the bridge proposes to a node (null: no twin). */
export const GET_TO_MOVE = new Map<string, string | null>([
  [`${QR}.1.3`, `${QR}.1.2`], // Patient Root
  [`${QR}.2.3`, `${QR}.2.2`], // Study Root
  [`${QR}.3.3`, `${QR}.3.2`], // Patient/Study Only (retired)
  [`${QR}.4.3`, `${QR}.4.2`], // Composite Instance Root Retrieve
  [`${QR}.5.3`, null], // Composite Instance Retrieve Without Bulk Data: no MOVE twin
  ['1.2.840.10008.5.1.4.20.3', '1.2.840.10008.5.1.4.20.2'],
  ['1.2.840.10008.5.1.4.39.4', '1.2.840.10008.5.1.4.39.3'],
  ['1.2.840.10008.5.1.4.38.4', '1.2.840.10008.5.1.4.38.3'],
  ['1.2.840.10008.5.1.4.43', '1.2.840.10008.5.1.4.42'],
]);

/** Storage SOP class UID prefixes (PS3.4 Annex B and its siblings that use C-STORE). */
const STORAGE_PREFIXES = [
  '1.2.840.10008.5.1.4.1.1.', // Storage SOP classes
  '1.2.840.10008.5.1.4.34.', // RT / Radiotherapy storage (second generation)
  '1.2.840.10008.5.1.4.38.1', // Color Palette Storage
  '1.2.840.10008.5.1.4.39.1', // Hanging Protocol Storage
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template Storage
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template Storage
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group Storage
];

/** The DIMSE service an abstract syntax is used for, or null when it is none of the five the rules name
 *  (e.g. Storage Commitment, N-services): such contexts pass only when a rule sets no `services`. */
export function serviceForAbstractSyntax(uid: string): DimseServiceName | null {
  if (uid === VERIFICATION) return 'C-ECHO';
  if (FIND_CLASSES.has(uid)) return 'C-FIND';
  if (MOVE_CLASSES.has(uid)) return 'C-MOVE';
  if (GET_TO_MOVE.has(uid)) return 'C-GET';
  if (STORAGE_PREFIXES.some((p) => uid.startsWith(p) || uid === p)) return 'C-STORE';
  return null;
}
