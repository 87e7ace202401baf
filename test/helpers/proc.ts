// Child-process plumbing for interop tests: one-shot commands with a timeout and captured output,
// and long-running daemons (storescp, Orthanc, stunnel) that cannot outlive the test process.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs?: number; // default 60 s; the child is SIGKILLed after it
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const MAX_CAPTURE = 4 * 1024 * 1024; // keep the tail only: verbose DCMTK output can be large

// Every child still alive when the test process exits gets SIGKILL, by its own pid.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > MAX_CAPTURE && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs a command to completion (or timeout) and returns its exit status and output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const out = new Capture();
    const err = new Capture();
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout: out.text(), stderr: err.text(), timedOut, durationMs: Date.now() - started });
    });
  });
}

export interface Daemon {
  readonly name: string;
  /** pid of the watchdog shell; the real program is its only child. */
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  stdout(): string;
  stderr(): string;
  /** SIGTERM to the program, SIGKILL to its process group after graceMs; idempotent. */
  stop(graceMs?: number): Promise<void>;
}

// The daemon runs under a small bash watchdog that holds our stdin pipe: when the pipe closes
// (stop(), or this test process dying in any way, even SIGKILL) it sends SIGTERM to the program.
// That is what keeps a crashed test run from leaving an Orthanc or storescp behind.
const WATCHDOG = [
  '"$@" </dev/null 3<&- & c=$!',
  '( read -r _ <&3; kill -TERM "$c" 2>/dev/null ) & w=$!',
  'trap \'kill -TERM "$c" 2>/dev/null\' TERM INT',
  'wait "$c"; rc=$?',
  'kill "$w" 2>/dev/null',
  'exit "$rc"',
].join('\n');

export function spawnDaemon(name: string, cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Daemon {
  // fd 3 of the shell = its stdin pipe (so the watcher can still read it after `&` rewires stdin).
  const child = spawn('bash', ['-c', `exec 3<&0\n${WATCHDOG}`, name, cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // own process group, so a last-resort SIGKILL reaches the program too
  });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  live.add(child);
  const out = new Capture();
  const err = new Capture();
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  child.stdin!.on('error', () => {}); // EPIPE when the shell is already gone
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      running = false;
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      running = false;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const pid = child.pid;
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    exited,
    isRunning: () => running,
    stdout: () => out.text(),
    stderr: () => err.text(),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (!running) return;
        child.stdin!.end();
        const t = setTimeout(() => {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, graceMs);
        await exited;
        clearTimeout(t);
      })();
      return stopping;
    },
  };
}
