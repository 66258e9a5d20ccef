import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

/** One plugin run, as the executor sees it. */
export interface ExecRequest {
  /** Absolute path of the plugin binary. */
  file: string;
  stdin: string;
  env: Readonly<Record<string, string>>;
  /** Milliseconds before the plugin's process group gets SIGTERM. */
  timeout: number;
  /** Milliseconds between SIGTERM and SIGKILL. */
  killGrace: number;
  /** Bytes of stdout (and of stderr) past which the plugin is killed. */
  maxOutput: number;
  signal?: AbortSignal | undefined;
}

/** How a plugin run ended. Exactly one of `exitCode`, `signal` or `spawnError` is set. */
export interface ExecOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  /** Why the plugin could not be started (`ENOENT`, `EACCES`, ...). */
  spawnError: Error | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The caller's signal fired; its reason. */
  aborted: { reason: unknown } | undefined;
  outputTooLarge: boolean;
  durationMs: number;
}

/** The seam between the chain logic and processes; tests and embedders may swap it. */
export interface PluginExecutor {
  exec(request: ExecRequest): Promise<ExecOutcome>;
}

// Plugins run in their own process group so that a timeout ends everything they started. Groups
// still alive when this process exits are killed on the way out.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

// ETXTBSY: the binary is still open for writing (being installed). Retry with a fresh process,
// once a second as the Go library does, since copying a large binary can take seconds.
const TEXT_BUSY_RETRIES = 5;
const TEXT_BUSY_DELAY_MS = 1_000;

type RunOutcome = ExecOutcome & { textBusy: boolean };

// Collects one output stream as bytes up to `limit`; calls `overflow` once when it is passed.
class OutputBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  tooLarge = false;

  constructor(
    readonly limit: number,
    readonly overflow: () => void,
  ) {}

  add(chunk: Buffer): void {
    if (this.tooLarge) return;
    if (this.#size + chunk.length > this.limit) {
      this.#chunks.push(chunk.subarray(0, this.limit - this.#size));
      this.#size = this.limit;
      this.tooLarge = true;
      this.overflow();
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  text(): string {
    if (this.#chunks.length === 1) return this.#chunks[0]!.toString('utf8');
    return Buffer.concat(this.#chunks, this.#size).toString('utf8');
  }
}

// The lean path: node:child_process directly. Per run it allocates two pipes' worth of listeners,
// one timer and the output buffers; no option normalisation, stream transforms or AbortSignal
// objects (see bench/README.md for what that saves). Same contract as execaOnce below.
function spawnOnce(request: ExecRequest): Promise<RunOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let pid: number | undefined;
    let timedOut = false;
    let forceKill: NodeJS.Timeout | undefined;
    let settled = false;
    const stop = (): void => {
      if (pid === undefined || forceKill !== undefined) return;
      killGroup(pid, 'SIGTERM');
      const group = pid;
      forceKill = setTimeout(() => killGroup(group, 'SIGKILL'), request.killGrace);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, request.timeout);
    timer.unref();
    const stdout = new OutputBuffer(request.maxOutput, stop);
    const stderr = new OutputBuffer(request.maxOutput, stop);
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (forceKill) clearTimeout(forceKill);
      request.signal?.removeEventListener('abort', stop);
      const outputTooLarge = stdout.tooLarge || stderr.tooLarge;
      if (pid !== undefined) {
        liveGroups.delete(pid);
        if (outputTooLarge) killGroup(pid, 'SIGKILL');
      }
      const aborted = request.signal?.aborted === true;
      resolve({
        exitCode: spawnError || exitCode === null ? undefined : exitCode,
        signal: spawnError || signal === null ? undefined : signal,
        spawnError,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut: timedOut && !aborted,
        aborted: aborted ? { reason: request.signal!.reason } : undefined,
        outputTooLarge,
        durationMs: performance.now() - started,
        textBusy: (spawnError as NodeJS.ErrnoException | undefined)?.code === 'ETXTBSY',
      });
    };
    let child: ChildProcess;
    try {
      child = spawn(request.file, [], { env: request.env, stdio: 'pipe', detached: true });
    } catch (error) {
      // Node throws (rather than emits) start failures other than ENOENT, EACCES and a few more.
      finish(null, null, error as Error);
      return;
    }
    pid = child.pid;
    child.on('error', (error) => {
      // Only a failure to start ends the run here; once started, 'close' does.
      if (pid === undefined) finish(null, null, error);
    });
    if (pid === undefined) return;
    installExitHook();
    liveGroups.add(pid);
    child.stdout!.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.add(chunk));
    // A plugin may exit without reading its stdin: the EPIPE that follows is expected.
    child.stdin!.on('error', () => {});
    child.stdin!.end(request.stdin);
    child.on('close', (code, signal) => finish(code, signal, undefined));
    if (request.signal?.aborted) stop();
    else request.signal?.addEventListener('abort', stop, { once: true });
  });
}

// The execa path, the default.
async function execaOnce(request: ExecRequest): Promise<RunOutcome> {
  const started = performance.now();
  // A timer cleared when the run ends, rather than AbortSignal.timeout, whose timer would stay
  // pending (and keep its memory) for the whole timeout after every run.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeout);
  timer.unref();
  const timeoutSignal = timeout.signal;
  const stop = request.signal ? AbortSignal.any([request.signal, timeoutSignal]) : timeoutSignal;

  const subprocess = execa(request.file, [], {
    input: request.stdin,
    env: request.env,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    detached: true,
    cleanup: false,
    maxBuffer: request.maxOutput,
  });
  const pid = subprocess.pid;
  let forceKill: NodeJS.Timeout | undefined;
  const onStop = () => {
    if (pid === undefined) return;
    killGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => killGroup(pid, 'SIGKILL'), request.killGrace);
  };
  if (pid !== undefined) {
    installExitHook();
    liveGroups.add(pid);
    // execa stops only the plugin itself at the cap, and its result waits until every process
    // holding the pipes is gone; kill the whole group as soon as either stream passes the cap.
    const counted = { stdout: 0, stderr: 0 };
    for (const name of ['stdout', 'stderr'] as const) {
      subprocess[name]?.on('data', (chunk: Buffer | string) => {
        counted[name] += chunk.length;
        if (counted[name] > request.maxOutput) killGroup(pid, 'SIGKILL');
      });
    }
  }
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });

  const result = await subprocess;
  clearTimeout(timer);
  stop.removeEventListener('abort', onStop);
  if (forceKill) clearTimeout(forceKill);
  if (pid !== undefined) {
    liveGroups.delete(pid);
    if (result.isMaxBuffer) killGroup(pid, 'SIGKILL');
  }

  const spawnCode = (result.cause as NodeJS.ErrnoException | undefined)?.code;
  const textBusy = spawnCode === 'ETXTBSY';
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    spawnError: pid === undefined ? ((result.cause as Error | undefined) ?? new Error(result.shortMessage)) : undefined,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    timedOut: timeoutSignal.aborted && !request.signal?.aborted,
    aborted: request.signal?.aborted ? { reason: request.signal.reason } : undefined,
    outputTooLarge: result.isMaxBuffer,
    durationMs: performance.now() - started,
    textBusy,
  };
}

function retrying(runOnce: (request: ExecRequest) => Promise<RunOutcome>): PluginExecutor {
  return {
    async exec(request) {
      for (let attempt = 0; ; attempt++) {
        const { textBusy, ...outcome } = await runOnce(request);
        if (!textBusy || attempt >= TEXT_BUSY_RETRIES || request.signal?.aborted) return outcome;
        await sleep(TEXT_BUSY_DELAY_MS);
      }
    },
  };
}

/**
 * Runs plugins with execa: the default executor. Each plugin gets its own process group, a
 * timeout (SIGTERM to the group, SIGKILL after the grace period), capped output, and a fresh
 * process when its binary is busy being written.
 */
export const execaExecutor: PluginExecutor = retrying(execaOnce);

/**
 * The same contract on `node:child_process` directly: about 1 ms less CPU per plugin run and a
 * smaller heap, which makes every later fork cheaper (see bench/README.md). Pass it as
 * `executor` where plugin runs are hot.
 */
export const spawnExecutor: PluginExecutor = retrying(spawnOnce);

/** What `new CNI()` uses unless given another `executor`. */
export const defaultExecutor: PluginExecutor = execaExecutor;
