// Synthetic DICOM Part 10 files for transfer tests, written byte by byte so that sizes up to 1 GB
// stream to disk (header first, then random Pixel Data in chunks) and so that the encoding is
// canonical: DCMTK re-encoding such a data set on send reproduces it exactly, which lets every
// transfer be checked with one SHA-256 over the data set (everything after group 0002).
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const MULTIFRAME_GRAYSCALE_BYTE_SC = '1.2.840.10008.5.1.4.1.1.7.2';
export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const IMPLEMENTATION_CLASS_UID = '2.25.147101546119004651530924150457213466716';
const IMPLEMENTATION_VERSION = 'DTG_TEST_1';

export interface MakeInstancesOptions {
  count: number;
  patientId: string;
  patientName?: string; // default `TEST^${patientId}`
  studyUid?: string; // default: one new study for all instances
  seriesUid?: string; // default: one new series for all instances
  /** Pixel Data bytes per instance (rounded up to whole rows, and to even); an array is cycled. */
  bytesPerInstance: number | readonly number[];
  transferSyntax?: string; // EXPLICIT_VR_LE (default) or IMPLICIT_VR_LE
  modality?: 'SC' | 'CT'; // SC: 8-bit Secondary Capture (default); CT: 16-bit CT Image Storage
  filePrefix?: string; // default 'inst'
}

export interface Instance {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
  patientId: string;
  transferSyntax: string;
  pixelBytes: number;
  fileBytes: number;
  datasetSha256: string;
}

/** A fresh UID under the 2.25 (UUID-derived) root: no registered org root needed. */
export function newUid(): string {
  return `2.25.${BigInt('0x' + randomBytes(16).toString('hex')).toString(10)}`;
}

// VRs whose explicit encoding has 2 reserved bytes and a 4-byte length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

interface El {
  tag: number; // (group << 16) | element
  vr: string;
  value: Buffer;
}

function text(tag: number, vr: string, s: string): El {
  let b = Buffer.from(s, 'latin1');
  // Even length: UIs pad with NUL, the other strings with a space (PS3.5 6.2).
  if (b.length % 2) b = Buffer.concat([b, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
  return { tag, vr, value: b };
}

function us(tag: number, n: number): El {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return { tag, vr: 'US', value: b };
}

function ul(tag: number, n: number): El {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return { tag, vr: 'UL', value: b };
}

function header(tag: number, vr: string, length: number, explicit: boolean): Buffer {
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(explicit && !long ? 8 : explicit ? 12 : 8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) {
    b.writeUInt32LE(length, 4);
  } else if (long) {
    b.write(vr, 4, 'latin1');
    b.writeUInt32LE(length, 8);
  } else {
    b.write(vr, 4, 'latin1');
    b.writeUInt16LE(length, 6);
  }
  return b;
}

function encode(els: El[], explicit: boolean): Buffer {
  const sorted = [...els].sort((a, b) => a.tag - b.tag);
  return Buffer.concat(sorted.flatMap((e) => [header(e.tag, e.vr, e.value.length, explicit), e.value]));
}

function metaHeader(sopClassUid: string, sopInstanceUid: string, ts: string): Buffer {
  const body = encode(
    [
      { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
      text(0x00020002, 'UI', sopClassUid),
      text(0x00020003, 'UI', sopInstanceUid),
      text(0x00020010, 'UI', ts),
      text(0x00020012, 'UI', IMPLEMENTATION_CLASS_UID),
      text(0x00020013, 'SH', IMPLEMENTATION_VERSION),
    ],
    true,
  );
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), encode([ul(0x00020000, body.length)], true), body]);
}

/** Image geometry: frames × rows × columns × bytesPerPixel ≥ the wanted size, all within US range. */
export function geometry(wantBytes: number, bytesPerPixel: 1 | 2): { rows: number; columns: number; frames: number; pixelBytes: number } {
  const pixels = Math.max(4, Math.ceil(Math.max(1, wantBytes) / bytesPerPixel));
  let columns = 2;
  while (columns * columns * 4 <= pixels && columns < 16384) columns *= 2;
  let rows = Math.ceil(pixels / columns);
  let frames = 1;
  if (rows > 32768) {
    frames = Math.ceil(rows / 32768);
    rows = Math.ceil(rows / frames);
  }
  if ((rows * columns * frames * bytesPerPixel) % 2) rows += 1; // Pixel Data length must be even
  return { rows, columns, frames, pixelBytes: rows * columns * frames * bytesPerPixel };
}

/** Writes one synthetic instance to `path`; returns its description including the data set SHA-256. */
export async function writeInstance(
  path: string,
  o: { patientId: string; patientName?: string; studyUid: string; seriesUid: string; sopInstanceUid?: string; instanceNumber?: number; bytes: number; transferSyntax?: string; modality?: 'SC' | 'CT' },
): Promise<Instance> {
  const ts = o.transferSyntax ?? EXPLICIT_VR_LE;
  if (ts !== EXPLICIT_VR_LE && ts !== IMPLICIT_VR_LE) throw new Error(`unsupported transfer syntax ${ts}`);
  const explicit = ts === EXPLICIT_VR_LE;
  const ct = o.modality === 'CT';
  const bpp = ct ? 2 : 1;
  const g = geometry(o.bytes, bpp);
  const sopClassUid = ct ? CT_IMAGE : g.frames > 1 ? MULTIFRAME_GRAYSCALE_BYTE_SC : SECONDARY_CAPTURE;
  const sopInstanceUid = o.sopInstanceUid ?? newUid();
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const els: El[] = [
    text(0x00080008, 'CS', ct ? 'ORIGINAL\\PRIMARY\\AXIAL' : 'DERIVED\\SECONDARY'),
    text(0x00080016, 'UI', sopClassUid),
    text(0x00080018, 'UI', sopInstanceUid),
    text(0x00080020, 'DA', date),
    text(0x00080030, 'TM', '120000'),
    text(0x00080050, 'SH', ''),
    text(0x00080060, 'CS', ct ? 'CT' : 'OT'),
    text(0x00080090, 'PN', ''),
    text(0x0008103e, 'LO', 'synthetic test series'),
    text(0x00100010, 'PN', o.patientName ?? `TEST^${o.patientId}`),
    text(0x00100020, 'LO', o.patientId),
    text(0x00100030, 'DA', ''),
    text(0x00100040, 'CS', ''),
    text(0x0020000d, 'UI', o.studyUid),
    text(0x0020000e, 'UI', o.seriesUid),
    text(0x00200010, 'SH', '1'),
    text(0x00200011, 'IS', '1'),
    text(0x00200013, 'IS', String(o.instanceNumber ?? 1)),
    us(0x00280002, 1),
    text(0x00280004, 'CS', 'MONOCHROME2'),
    us(0x00280010, g.rows),
    us(0x00280011, g.columns),
    us(0x00280100, bpp * 8),
    us(0x00280101, bpp * 8),
    us(0x00280102, bpp * 8 - 1),
    us(0x00280103, 0),
  ];
  if (ct) {
    els.push(text(0x00180050, 'DS', '1'), text(0x00281052, 'DS', '0'), text(0x00281053, 'DS', '1'));
  } else {
    els.push(text(0x00080064, 'CS', 'WSD'));
  }
  if (g.frames > 1) els.push(text(0x00280008, 'IS', String(g.frames)));

  const meta = metaHeader(sopClassUid, sopInstanceUid, ts);
  const dsHead = Buffer.concat([encode(els, explicit), header(0x7fe00010, ct ? 'OW' : 'OB', g.pixelBytes, explicit)]);
  const hash = createHash('sha256');
  hash.update(dsHead);
  const fh = await open(path, 'w');
  try {
    await fh.write(Buffer.concat([meta, dsHead]));
    const chunk = Buffer.allocUnsafe(Math.min(4 * 1024 * 1024, g.pixelBytes));
    for (let left = g.pixelBytes; left > 0; ) {
      const n = Math.min(left, chunk.length);
      const part = chunk.subarray(0, n);
      randomFillSync(part);
      hash.update(part);
      await fh.write(part);
      left -= n;
    }
  } finally {
    await fh.close();
  }
  return {
    path,
    sopClassUid,
    sopInstanceUid,
    studyUid: o.studyUid,
    seriesUid: o.seriesUid,
    patientId: o.patientId,
    transferSyntax: ts,
    pixelBytes: g.pixelBytes,
    fileBytes: meta.length + dsHead.length + g.pixelBytes,
    datasetSha256: hash.digest('hex'),
  };
}

/** Writes `count` instances of one series into `dir` (created if missing). */
export async function makeInstances(dir: string, o: MakeInstancesOptions): Promise<Instance[]> {
  await mkdir(dir, { recursive: true });
  const studyUid = o.studyUid ?? newUid();
  const seriesUid = o.seriesUid ?? newUid();
  const sizes = typeof o.bytesPerInstance === 'number' ? [o.bytesPerInstance] : o.bytesPerInstance;
  if (sizes.length === 0) throw new Error('bytesPerInstance: empty list');
  const out: Instance[] = [];
  for (let i = 0; i < o.count; i++) {
    const path = join(dir, `${o.filePrefix ?? 'inst'}-${String(i + 1).padStart(5, '0')}.dcm`);
    out.push(
      await writeInstance(path, {
        patientId: o.patientId,
        patientName: o.patientName,
        studyUid,
        seriesUid,
        instanceNumber: i + 1,
        bytes: sizes[i % sizes.length]!,
        transferSyntax: o.transferSyntax,
        modality: o.modality,
      }),
    );
  }
  return out;
}

/** Byte offset where the data set starts (after preamble, "DICM" and the whole group 0002). */
export function datasetOffset(head: Buffer): number {
  if (head.length < 132 || head.toString('latin1', 128, 132) !== 'DICM') throw new Error('not a DICOM Part 10 file (no DICM at 128)');
  let pos = 132;
  // Group 0002 is always explicit VR little endian; walk it rather than trust (0002,0000).
  while (pos + 8 <= head.length && head.readUInt16LE(pos) === 0x0002) {
    const vr = head.toString('latin1', pos + 4, pos + 6);
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > head.length) break;
      pos += 12 + head.readUInt32LE(pos + 8);
    } else {
      pos += 8 + head.readUInt16LE(pos + 6);
    }
  }
  if (pos + 8 > head.length) throw new Error('file meta information longer than the bytes read');
  return pos;
}

/** SHA-256 (hex) of the data set of a Part 10 file, streamed: fine for 1 GB files. */
export async function datasetSha256(file: string): Promise<string> {
  const fh = await open(file, 'r');
  let offset: number;
  try {
    const head = Buffer.alloc(256 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    offset = datasetOffset(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
  return sha256Stream(createReadStream(file, { start: offset, highWaterMark: 1024 * 1024 }));
}

/** SHA-256 of a Part 10 file held in memory (e.g. downloaded over REST). */
export function datasetSha256OfBuffer(file: Buffer): string {
  return createHash('sha256').update(file.subarray(datasetOffset(file))).digest('hex');
}

export async function sha256Stream(stream: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

/** Reads a few top-level UIDs from a Part 10 file without parsing the data set fully (first 256 KB). */
export async function readUids(file: string): Promise<{ sopClassUid: string; sopInstanceUid: string; transferSyntax: string }> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    const end = datasetOffset(b);
    const found: Record<number, string> = {};
    for (let pos = 132; pos < end; ) {
      const el = b.readUInt16LE(pos + 2);
      const vr = b.toString('latin1', pos + 4, pos + 6);
      const long = LONG_VRS.has(vr);
      const len = long ? b.readUInt32LE(pos + 8) : b.readUInt16LE(pos + 6);
      const start = pos + (long ? 12 : 8);
      found[el] = b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '');
      pos = start + len;
    }
    return { sopClassUid: found[0x0002] ?? '', sopInstanceUid: found[0x0003] ?? '', transferSyntax: found[0x0010] ?? '' };
  } finally {
    await fh.close();
  }
}

/** SOP Instance UID -> data set SHA-256 for every file in `dir` (e.g. getscu/movescu output). */
export async function hashDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    if (!(await stat(p)).isFile()) continue;
    out.set((await readUids(p)).sopInstanceUid, await datasetSha256(p));
  }
  return out;
}
