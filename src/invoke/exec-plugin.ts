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

// ETXTBSY: the binary is still open for writing (being installed). Retry with a fresh process.
const TEXT_BUSY_RETRIES = 5;
const TEXT_BUSY_DELAY_MS = 200;

async function runOnce(request: ExecRequest): Promise<ExecOutcome & { textBusy: boolean }> {
  const started = performance.now();
  const timeoutSignal = AbortSignal.timeout(request.timeout);
  const signals = request.signal ? [request.signal, timeoutSignal] : [timeoutSignal];
  const stop = AbortSignal.any(signals);

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
  }
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });

  const result = await subprocess;
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

/** The default executor, built on execa. */
export const defaultExecutor: PluginExecutor = {
  async exec(request) {
    for (let attempt = 0; ; attempt++) {
      const { textBusy, ...outcome } = await runOnce(request);
      if (!textBusy || attempt >= TEXT_BUSY_RETRIES || request.signal?.aborted) return outcome;
      await sleep(TEXT_BUSY_DELAY_MS);
    }
  },
};
