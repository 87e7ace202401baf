// The current TLS material behind one reference (STYLE rule 8, ghostunnel certloader): reload
// builds and validates new material, then swaps; on failure the old material stays and the error
// says why. Consumers read `store.material` per handshake/connection and call
// server.setSecureContext() when a reload reports `changed`.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { TlsConfig } from '../config/types.ts';
import { loadTlsMaterial, notAfter, TlsMaterialError, type TlsMaterial } from './material.ts';

export type ReloadResult = { ok: true; changed: boolean } | { ok: false; error: string };

export interface WatchOptions {
  /** fs.watchFile poll interval. Polling survives editors' and cert managers' rename-over writes. */
  intervalMs?: number;
  /** Quiet time after the last change before reloading, so cert+key written one by one reload once. */
  debounceMs?: number;
}

interface Watch {
  onChange: (r: ReloadResult) => void;
  files: string[];
  listener: (curr: Stats, prev: Stats) => void;
  timer?: ReturnType<typeof setTimeout>;
  interval: number;
  debounce: number;
}

function sameConfig(a: TlsConfig, b: TlsConfig): boolean {
  return a.cert === b.cert && a.key === b.key && a.ca === b.ca && a.profile === b.profile;
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.certPem === b.certPem && a.keyPem === b.keyPem && a.caPem === b.caPem;
}

export class TlsStore {
  #config: TlsConfig;
  #material: TlsMaterial;
  #pending: Promise<ReloadResult> = Promise.resolve({ ok: true, changed: false });
  readonly #watches = new Set<Watch>();

  private constructor(config: TlsConfig, material: TlsMaterial) {
    this.#config = config;
    this.#material = material;
  }

  /** Loads and validates; throws TlsMaterialError when the material is unusable. */
  static async create(tls: TlsConfig): Promise<TlsStore> {
    return new TlsStore(tls, await loadTlsMaterial(tls));
  }

  get material(): TlsMaterial {
    return this.#material;
  }

  get config(): TlsConfig {
    return this.#config;
  }

  /**
   * Re-reads the files (of `tls` when given, e.g. after a config reload). `changed` is true when the
   * PEM content or the config changed; the material reference is swapped only then.
   * Reloads are serialized so a watcher and SIGHUP cannot interleave.
   */
  reload(tls?: TlsConfig): Promise<ReloadResult> {
    const run = async (): Promise<ReloadResult> => {
      const config = tls ?? this.#config;
      let next: TlsMaterial;
      try {
        next = await loadTlsMaterial(config);
      } catch (err) {
        const error = err instanceof TlsMaterialError ? err.message : `cannot load TLS material: ${String(err)}`;
        return { ok: false, error };
      }
      const changed = !sameMaterial(next, this.#material) || !sameConfig(config, this.#config);
      if (!sameConfig(config, this.#config)) {
        this.#config = config;
        this.#rewatch();
      }
      if (changed) this.#material = next;
      return { ok: true, changed };
    };
    this.#pending = this.#pending.then(run, run);
    return this.#pending;
  }

  /**
   * Polls tls.cert, tls.key and tls.ca; after a change (debounced) reloads and reports the result.
   * Failed reloads are reported too, so the caller can log and count them. Returns the unwatch function.
   */
  watch(onChange: (r: ReloadResult) => void, opts: WatchOptions = {}): () => void {
    const w: Watch = {
      onChange,
      files: [],
      listener: () => undefined,
      interval: opts.intervalMs ?? 1000,
      debounce: opts.debounceMs ?? 300,
    };
    w.listener = (curr, prev) => {
      if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
      if (w.timer) clearTimeout(w.timer);
      w.timer = setTimeout(() => {
        w.timer = undefined;
        if (!this.#watches.has(w)) return;
        void this.reload().then((r) => {
          if (this.#watches.has(w)) w.onChange(r);
        });
      }, w.debounce);
      w.timer.unref?.();
    };
    this.#watches.add(w);
    this.#arm(w);
    return () => {
      if (w.timer) clearTimeout(w.timer);
      this.#disarm(w);
      this.#watches.delete(w);
    };
  }

  /** notAfter of the gateway certificate and of the earliest-expiring CA in tls.ca (for the metric). */
  expiry(): { gateway: Date; ca: Date } {
    const m = this.#material;
    const caDates = m.cas.map(notAfter);
    const ca = caDates.reduce((a, b) => (b < a ? b : a), caDates[0] ?? notAfter(m.cert));
    return { gateway: notAfter(m.cert), ca };
  }

  #arm(w: Watch): void {
    w.files = [...new Set([this.#config.cert, this.#config.key, this.#config.ca])];
    for (const f of w.files) {
      // unref: a watcher alone must not keep the process (or a test run) alive.
      watchFile(f, { interval: w.interval, persistent: false }, w.listener);
    }
  }

  #disarm(w: Watch): void {
    for (const f of w.files) unwatchFile(f, w.listener);
    w.files = [];
  }

  #rewatch(): void {
    for (const w of this.#watches) {
      this.#disarm(w);
      this.#arm(w);
    }
  }
}
