// pino logger construction. JSON lines to stdout (CONTRACT: `start` logs JSON lines); each
// association gets a child logger carrying its id so one grep follows it end to end.
import { pino, type Logger, type Level } from 'pino';

export type { Logger };

export function createLogger(level: Level | 'silent' = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'dicom-tls-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Socket errors that are routine for a proxy (the peer went away) and not worth an error line. */
export function isRoutineSocketError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}
