// Plumbing the examples share: running commands with a deadline, checking that the machine has
// what an example needs, and undoing everything an example set up, in reverse order.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export interface RunOptions {
  /** Milliseconds before the command is killed. @default 30000 */
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion and resolves to its stdout; rejects with its stderr. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', env: options.env ?? process.env },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `killed after ${options.timeoutMs ?? 30_000} ms` : stderr.trim() || error.message;
          reject(new Error(`${file} ${args.join(' ')}: ${why}`, { cause: error }));
        } else {
          resolve(stdout);
        }
      },
    );
    // A command that exits without reading its stdin must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Like `run`, but never rejects: resolves to the exit code and output. */
export function attempt(file: string, args: readonly string[], options: RunOptions = {}): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return run(file, args, options).then(
    (stdout) => ({ ok: true, stdout, stderr: '' }),
    (error: Error) => ({ ok: false, stdout: '', stderr: error.message }),
  );
}

/** The absolute path of `name` on PATH (or `name` itself when it has a slash), if executable. */
export function which(name: string): string | undefined {
  const dirs = name.includes('/') ? [''] : (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const dir of dirs) {
    const file = dir === '' ? name : path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Throws one message naming every missing command and the Debian package that provides it.
 * `needs` maps a command (or an absolute file) to its package.
 */
export function requireTools(needs: Readonly<Record<string, string>>): void {
  if (process.platform !== 'linux') throw new Error('this example needs Linux network namespaces');
  if (process.getuid?.() !== 0) throw new Error('this example creates network namespaces and containers: run it as root');
  const missing = Object.entries(needs).filter(([tool]) => which(tool) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  throw new Error(`missing ${missing.map(([tool]) => tool).join(', ')}: install with apt-get install -y ${packages.join(' ')}`);
}

/** Polls `check` every `intervalMs` until it returns something other than `undefined`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True while a process with that PID exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends SIGTERM to `pid`, then SIGKILL after `graceMs` if it is still there; waits for it to go. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    await waitFor(`process ${pid} to exit`, async () => (alive(pid) ? undefined : true), 5_000, 50);
  }
}

/**
 * Starts a long-running command in its own process group with its output going to `logFile`'s
 * descriptor (so the child never holds a pipe of ours open). Resolves once it has started.
 */
export function startDaemon(file: string, args: readonly string[], logFd: number | 'ignore'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', logFd, logFd], detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid!);
    });
  });
}

/**
 * Undo steps, run last-in first-out; every step runs even when an earlier one fails. With
 * `onSignals()`, Ctrl-C makes the next `checkpoint()` throw, so the example stops after the step
 * in flight and its `finally` undoes everything that step and the earlier ones set up.
 */
export class Cleanup {
  readonly #steps: { label: string; undo: () => Promise<unknown> }[] = [];
  #running: Promise<string[]> | undefined;
  #interrupted: NodeJS.Signals | undefined;

  /** Registers how to undo something that was just set up. */
  add(label: string, undo: () => Promise<unknown>): void {
    this.#steps.push({ label, undo });
  }

  /** Runs every registered step once; resolves to the failures (never rejects). */
  run(): Promise<string[]> {
    this.#running ??= (async () => {
      const failures: string[] = [];
      while (this.#steps.length > 0) {
        const step = this.#steps.pop()!;
        try {
          await step.undo();
        } catch (error) {
          failures.push(`${step.label}: ${(error as Error).message}`);
        }
      }
      return failures;
    })();
    return this.#running;
  }

  /**
   * Turns SIGINT, SIGTERM and SIGHUP into a stop at the next checkpoint. Output to a closed pipe
   * (`| head`) is dropped instead of crashing the run before it cleaned up.
   */
  onSignals(): void {
    process.stdout.on('error', () => undefined);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        if (this.#interrupted === undefined) console.error(`\ninterrupted (${signal}): stopping after the current step, then cleaning up`);
        this.#interrupted ??= signal;
        process.exitCode = 130;
      });
    }
  }

  /** Throws when a signal came in. Call it between steps. */
  checkpoint(): void {
    if (this.#interrupted) throw new Error(`interrupted by ${this.#interrupted}`);
  }
}

/**
 * GETs a URL over a fresh connection that is closed afterwards (fetch() would keep it alive and
 * hold the process open for seconds) and resolves to the body.
 */
export function httpGet(url: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: HTTP ${response.statusCode}`))));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
