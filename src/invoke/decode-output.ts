import { existsSync } from 'node:fs';
import {
  AbortError,
  PluginExecError,
  PluginReportedError,
  TimeoutError,
  describePlugin,
  type ErrorContext,
} from '../errors.js';
import { ErrorObjectSchema } from '../result/schemas.js';
import type { ExecOutcome } from './exec-plugin.js';

// Error fields keep the end of long output (where the useful part of a panic usually is).
const FIELD_TAIL = 64 * 1024;
const MESSAGE_TAIL = 512;

function tail(text: string, size: number): string {
  return text.length <= size ? text : `…${text.slice(-size)}`;
}

function stderrNote(stderr: string): string {
  const trimmed = stderr.trim();
  return trimmed === '' ? '' : `; stderr: ${tail(trimmed, MESSAGE_TAIL)}`;
}

function ended(outcome: ExecOutcome): string {
  if (outcome.signal) return `was killed by ${outcome.signal}`;
  return `exited with code ${outcome.exitCode}`;
}

/** Parses plugin stdout as one JSON value; `undefined` when it is not JSON. */
function parseJson(stdout: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(stdout) };
  } catch {
    return undefined;
  }
}

// ENOENT for a file that exists means its interpreter (the #! line) or loader is missing.
function spawnNote(error: Error, file: string): string {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(file) ? ' (the file exists: is its #! interpreter missing?)' : '';
}

function execError(message: string, context: ErrorContext, outcome: ExecOutcome, file: string, cause?: unknown): PluginExecError {
  return new PluginExecError(`${describePlugin(context)}: ${message}${stderrNote(outcome.stderr)}`, {
    ...context,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    stdout: tail(outcome.stdout, FIELD_TAIL),
    stderr: tail(outcome.stderr, FIELD_TAIL),
    path: file,
    cause,
  });
}

/**
 * Turns how a plugin run ended into its parsed JSON output or a typed error.
 *
 * - `wantOutput` (ADD, VERSION): exit 0 must come with one JSON value on stdout.
 * - Otherwise (DEL, CHECK, STATUS, GC): stdout of a successful run is ignored.
 * - A failed run's stdout is read as a CNI error object; anything else becomes a `PluginExecError`
 *   that carries the exit status and the output.
 */
export function decodeOutcome(
  outcome: ExecOutcome,
  context: ErrorContext & { timeout: number },
  file: string,
  wantOutput: boolean,
): unknown {
  const { timeout, ...where } = context;
  if (outcome.aborted) {
    throw new AbortError(`${describePlugin(where)}: aborted${stderrNote(outcome.stderr)}`, {
      ...where,
      cause: outcome.aborted.reason,
    });
  }
  if (outcome.timedOut) {
    throw new TimeoutError(`${describePlugin(where)}: timed out after ${timeout} ms${stderrNote(outcome.stderr)}`, {
      ...where,
      timeout,
    });
  }
  if (outcome.spawnError) {
    const note = spawnNote(outcome.spawnError, file);
    throw execError(`could not be started: ${outcome.spawnError.message}${note}`, where, outcome, file, outcome.spawnError);
  }
  if (outcome.outputTooLarge) {
    throw execError('printed more output than allowed and was killed', where, outcome, file);
  }

  const stdout = outcome.stdout.trim();
  if (outcome.exitCode === 0 && outcome.signal === undefined) {
    if (!wantOutput) return undefined;
    if (stdout === '') throw execError('exited with code 0 but printed no result', where, outcome, file);
    const parsed = parseJson(stdout);
    if (!parsed) throw execError(`printed output that is not JSON: ${tail(stdout, MESSAGE_TAIL)}`, where, outcome, file);
    return parsed.value;
  }

  if (stdout === '') throw execError(`${ended(outcome)} without output`, where, outcome, file);
  const parsed = parseJson(stdout);
  if (!parsed) {
    throw execError(`${ended(outcome)} and printed output that is not JSON: ${tail(stdout, MESSAGE_TAIL)}`, where, outcome, file);
  }
  const reported = ErrorObjectSchema.safeParse(parsed.value);
  if (!reported.success) {
    throw execError(`${ended(outcome)} and printed JSON that is not a CNI error: ${tail(stdout, MESSAGE_TAIL)}`, where, outcome, file);
  }
  const { code, msg = '', details } = reported.data;
  const text = details ? `${msg}; ${details}` : msg;
  throw new PluginReportedError(`${describePlugin(where)}: ${text}`, {
    ...where,
    cniCode: code,
    msg,
    details,
    exitCode: outcome.exitCode,
    stderr: tail(outcome.stderr, FIELD_TAIL),
  });
}
