// Orthanc (Debian's 1.10.1, `/usr/sbin/Orthanc <config.json>`) as the legacy PACS in interop tests.
// Each instance gets its own temp config, storage and loopback ports; plugins are disabled (the
// Debian default config loads worklist/serve-folders plugins we do not need), so startup is ~1 s.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetSha256OfBuffer } from './dicom-files.ts';
import { freePorts, waitForListen } from './ports.ts';
import { spawnDaemon } from './proc.ts';
import type { Daemon } from './proc.ts';
import { tempDir } from './tmp.ts';

export interface OrthancModality {
  aet: string;
  host: string;
  port: number;
  useDicomTls?: boolean;
  allowEcho?: boolean;
  allowFind?: boolean;
  allowMove?: boolean;
  allowGet?: boolean;
  allowStore?: boolean;
}

export interface OrthancOptions {
  aet?: string; // default 'ORTHANC'
  /** Keyed by Orthanc's symbolic name; the AE title and address Orthanc expects of each caller. */
  modalities?: Record<string, OrthancModality>;
  checkModalityHost?: boolean; // DicomCheckModalityHost, default false
  checkCalledAet?: boolean; // DicomCheckCalledAet, default false
  strictAetComparison?: boolean; // default false
  alwaysAllowEcho?: boolean; // default true
  alwaysAllowStore?: boolean; // default true
  alwaysAllowFind?: boolean; // default false
  alwaysAllowMove?: boolean; // default false
  alwaysAllowGet?: boolean; // default false
  tls?: { cert: string; key: string; trusted: string; remoteCertificateRequired?: boolean };
  /** Merged last into the JSON config, for anything not covered above. */
  extraConfig?: Record<string, unknown>;
  startTimeoutMs?: number; // default 30 s
}

export interface OrthancInstanceInfo {
  id: string; // Orthanc's public id
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
}

export interface RunningOrthanc {
  dir: string;
  aet: string;
  dicomPort: number;
  httpPort: number;
  baseUrl: string;
  daemon: Daemon;
  startupMs: number;
  rest<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  instanceIds(): Promise<string[]>;
  countInstances(): Promise<number>;
  /** Every stored instance with its UIDs (one REST call per instance: fine for hundreds). */
  instances(): Promise<OrthancInstanceInfo[]>;
  /** The stored Part 10 file of an instance, by Orthanc id. */
  file(id: string): Promise<Buffer>;
  /** Orthanc id for a SOP Instance UID, or undefined. */
  lookupInstance(sopInstanceUid: string): Promise<string | undefined>;
  /** sopInstanceUid -> data set SHA-256 of the stored file, for all instances. */
  datasetHashes(): Promise<Map<string, string>>;
  /** Deletes every patient, so one Orthanc can serve several tests of a file. */
  clear(): Promise<void>;
  /** Waits until Orthanc holds at least n instances. */
  waitForInstances(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startOrthanc(o: OrthancOptions = {}): Promise<RunningOrthanc> {
  const t0 = Date.now();
  const tmp = await tempDir('dtg-orthanc-');
  const dir = tmp.dir;
  const [dicomPort, httpPort] = (await freePorts(2)) as [number, number];
  const aet = o.aet ?? 'ORTHANC';
  const modalities: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(o.modalities ?? {})) {
    modalities[name] = {
      AET: m.aet,
      Host: m.host,
      Port: m.port,
      ...(m.useDicomTls !== undefined ? { UseDicomTls: m.useDicomTls } : {}),
      ...(m.allowEcho !== undefined ? { AllowEcho: m.allowEcho } : {}),
      ...(m.allowFind !== undefined ? { AllowFind: m.allowFind } : {}),
      ...(m.allowMove !== undefined ? { AllowMove: m.allowMove } : {}),
      ...(m.allowGet !== undefined ? { AllowGet: m.allowGet } : {}),
      ...(m.allowStore !== undefined ? { AllowStore: m.allowStore } : {}),
    };
  }
  const storage = join(dir, 'db');
  await mkdir(storage);
  const config: Record<string, unknown> = {
    Name: `test-${aet}`,
    StorageDirectory: storage,
    IndexDirectory: storage,
    Plugins: [],
    HttpServerEnabled: true,
    HttpPort: httpPort,
    RemoteAccessAllowed: false, // REST on loopback only; also means no credentials needed
    AuthenticationEnabled: false,
    OrthancExplorerEnabled: false,
    WebDavEnabled: false,
    HttpCompressionEnabled: false,
    DicomServerEnabled: true,
    DicomAet: aet,
    DicomPort: dicomPort,
    DicomCheckCalledAet: o.checkCalledAet ?? false,
    DicomCheckModalityHost: o.checkModalityHost ?? false,
    StrictAetComparison: o.strictAetComparison ?? false,
    DicomAlwaysAllowEcho: o.alwaysAllowEcho ?? true,
    DicomAlwaysAllowStore: o.alwaysAllowStore ?? true,
    DicomAlwaysAllowFind: o.alwaysAllowFind ?? false,
    DicomAlwaysAllowFindWorklist: false,
    DicomAlwaysAllowMove: o.alwaysAllowMove ?? false,
    DicomAlwaysAllowGet: o.alwaysAllowGet ?? false,
    DicomModalities: modalities,
    DicomModalitiesInDatabase: false,
    UnknownSopClassAccepted: true,
    AcceptedTransferSyntaxes: ['1.2.840.10008.1.*'],
    DicomScuTimeout: 10,
    DicomAssociationCloseDelay: 0, // release SCU associations (C-MOVE sub-ops) at once
    SynchronousCMove: true,
    SaveJobs: false,
    StableAge: 3600, // no "stable" events during a test
    SyncStorageArea: false, // no fsync per instance: 200-instance runs stay fast
    StorageCompression: false,
    OverwriteInstances: false,
    MetricsEnabled: false,
    KeepAlive: false, // otherwise fetch's pooled connections hold Orthanc's shutdown for seconds
    ...(o.tls
      ? {
          DicomTlsEnabled: true,
          DicomTlsCertificate: o.tls.cert,
          DicomTlsPrivateKey: o.tls.key,
          DicomTlsTrustedCertificates: o.tls.trusted,
          DicomTlsRemoteCertificateRequired: o.tls.remoteCertificateRequired ?? true,
        }
      : { DicomTlsEnabled: false }),
    ...o.extraConfig,
  };
  const configPath = join(dir, 'orthanc.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  // Orthanc's DICOM side is DCMTK, which keeps Nagle on unless TCP_NODELAY=1 (see dcmtk.ts).
  const env = { ...process.env, TCP_NODELAY: process.env.TCP_NODELAY ?? '1' };
  const daemon = spawnDaemon('orthanc', 'Orthanc', [configPath], { cwd: dir, env });
  const baseUrl = `http://127.0.0.1:${httpPort}`;

  const stop = async (): Promise<void> => {
    await daemon.stop(10_000);
    await tmp.cleanup();
  };

  try {
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    for (;;) {
      if (!daemon.isRunning()) throw new Error(`Orthanc exited during startup:\n${daemon.stderr()}`);
      try {
        const r = await fetch(`${baseUrl}/system`);
        if (r.ok) {
          await r.arrayBuffer();
          break;
        }
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`Orthanc REST not up after ${o.startTimeoutMs ?? 30_000} ms:\n${daemon.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitForListen(dicomPort, Math.max(1000, deadline - Date.now()));
  } catch (e) {
    await stop();
    throw e;
  }

  const rest = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const r = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    if (!r.ok) throw new Error(`Orthanc ${init.method ?? 'GET'} ${path}: HTTP ${r.status} ${await r.text()}`);
    const ct = r.headers.get('content-type') ?? '';
    return (ct.includes('json') ? await r.json() : await r.text()) as T;
  };
  const file = async (id: string): Promise<Buffer> => {
    const r = await fetch(`${baseUrl}/instances/${id}/file`);
    if (!r.ok) throw new Error(`Orthanc GET /instances/${id}/file: HTTP ${r.status}`);
    return Buffer.from(await r.arrayBuffer());
  };
  const instanceIds = (): Promise<string[]> => rest<string[]>('/instances');
  const countInstances = async (): Promise<number> => (await rest<{ CountInstances: number }>('/statistics')).CountInstances;

  return {
    dir,
    aet,
    dicomPort,
    httpPort,
    baseUrl,
    daemon,
    startupMs: Date.now() - t0,
    rest,
    instanceIds,
    countInstances,
    async instances() {
      // One call: ?expand carries each instance's main tags; series/study come from the parents.
      const list = await rest<{ ID: string; ParentSeries: string; MainDicomTags: Record<string, string> }[]>('/instances?expand');
      const series = new Map<string, { study: string; uid: string }>();
      for (const s of await rest<{ ID: string; ParentStudy: string; MainDicomTags: Record<string, string> }[]>('/series?expand')) {
        series.set(s.ID, { study: s.ParentStudy, uid: s.MainDicomTags.SeriesInstanceUID ?? '' });
      }
      const studies = new Map<string, string>();
      for (const st of await rest<{ ID: string; MainDicomTags: Record<string, string> }[]>('/studies?expand')) {
        studies.set(st.ID, st.MainDicomTags.StudyInstanceUID ?? '');
      }
      return list.map((i) => {
        const se = series.get(i.ParentSeries);
        return { id: i.ID, sopInstanceUid: i.MainDicomTags.SOPInstanceUID ?? '', seriesUid: se?.uid ?? '', studyUid: studies.get(se?.study ?? '') ?? '' };
      });
    },
    file,
    async lookupInstance(uid) {
      const hits = await rest<{ ID: string; Type: string }[]>('/tools/lookup', { method: 'POST', body: uid });
      return hits.find((h) => h.Type === 'Instance')?.ID;
    },
    async datasetHashes() {
      const list = await rest<{ ID: string; MainDicomTags: Record<string, string> }[]>('/instances?expand');
      const out = new Map<string, string>();
      // A few downloads in flight: one at a time costs seconds for hundreds of instances.
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < list.length) {
          const i = list[next++]!;
          out.set(i.MainDicomTags.SOPInstanceUID ?? i.ID, datasetSha256OfBuffer(await file(i.ID)));
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      return out;
    },
    async clear() {
      for (const p of await rest<string[]>('/patients')) await rest(`/patients/${p}`, { method: 'DELETE' });
    },
    async waitForInstances(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const have = await countInstances();
        if (have >= n) return;
        if (Date.now() > deadline) throw new Error(`Orthanc holds ${have} instances, wanted ${n}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}
