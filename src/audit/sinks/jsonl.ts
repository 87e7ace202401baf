// audit.file: one JSON object per line. record() only queues (the relay never waits on the disk);
// one promise chain does every file operation in order, so writes, reopen() and close() cannot
// interleave. The file is opened once with flags 'a' (O_APPEND: safe next to other appenders) and
// reopened on reopen() after logrotate has moved it away.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEvent, AuditSink } from '../events.ts';

export interface JsonlAuditSinkOptions {
  /** Lines held while the disk is slow or failing; beyond it the oldest are dropped and counted. */
  maxQueue?: number;
  /** Called on write/open failures (the sink never throws into the relay). */
  onError?: (err: Error) => void;
}

export interface JsonlSinkStats {
  written: number;
  dropped: number;
  failed: number;
  queued: number;
}

export class JsonlAuditSink implements AuditSink {
  readonly file: string;
  readonly #maxQueue: number;
  readonly #onError: (err: Error) => void;
  #queue: string[] = [];
  #fh: FileHandle | null = null;
  #chain: Promise<void> = Promise.resolve();
  #flushScheduled = false;
  #closed = false;
  #stats = { written: 0, dropped: 0, failed: 0 };

  constructor(file: string, opts: JsonlAuditSinkOptions = {}) {
    this.file = file;
    this.#maxQueue = opts.maxQueue ?? 10_000;
    this.#onError = opts.onError ?? (() => undefined);
  }

  get stats(): JsonlSinkStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  record(e: AuditEvent): void {
    if (this.#closed) return;
    let line: string;
    try {
      line = JSON.stringify(e) + '\n';
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#queue.push(line);
    if (this.#queue.length > this.#maxQueue) {
      this.#queue.shift();
      this.#stats.dropped++;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#enqueue(() => this.#flush());
    }
  }

  /** Write what is queued, close the file and open it again by name (for logrotate / SIGHUP). */
  reopen(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#flush();
      await this.#closeHandle();
      if (!this.#closed) await this.#ensureOpen();
    });
  }

  /** Write everything queued, then close the file. Later record() calls are ignored. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#enqueue(async () => {
      await this.#flush();
      await this.#closeHandle();
    });
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    // Every op catches its own errors, so the chain never rejects and never stalls.
    this.#chain = this.#chain.then(op).catch((err: unknown) => this.#fail(err));
    return this.#chain;
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    try {
      const fh = await this.#ensureOpen();
      await fh.appendFile(batch.join(''), 'utf8');
      this.#stats.written += batch.length;
    } catch (err) {
      this.#stats.failed += batch.length;
      this.#fail(err);
      // Open again next time: the folder may have been removed or the disk replaced.
      await this.#closeHandle();
    }
  }

  async #ensureOpen(): Promise<FileHandle> {
    if (this.#fh) return this.#fh;
    await mkdir(dirname(this.file), { recursive: true });
    this.#fh = await open(this.file, 'a', 0o640);
    return this.#fh;
  }

  async #closeHandle(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    if (fh) await fh.close().catch((err: unknown) => this.#fail(err));
  }

  #fail(err: unknown): void {
    try {
      this.#onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // a throwing error callback must not break the sink
    }
  }
}
