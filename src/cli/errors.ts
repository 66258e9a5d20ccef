import { constants } from 'node:os';
import { MultipleErrors, isCniError } from '../errors.js';

/** The exit statuses of `cnitool`. */
export const EXIT = {
  OK: 0,
  /** The operation failed; the Go tool exits 1 for every error. */
  FAILED: 1,
  /** The command line is wrong: unknown command or option, missing argument, bad option value. */
  USAGE: 2,
} as const;

/** An error of `cnitool` itself (not of the library), with its exit status. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(message: string, code: string, exitCode: number = EXIT.FAILED) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The command line is wrong. Exit status 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 'ERR_CNITOOL_USAGE', EXIT.USAGE);
    this.name = 'UsageError';
  }
}

/** The error as the `{"error": ...}` object of `--json` output. */
export interface ErrorJson {
  code: string;
  cniCode: number | null;
  message: string;
  network?: string;
  plugin?: string;
  command?: string;
  errors?: ErrorJson[];
}

/** One line for stderr: the message with its line breaks folded. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Plugin output quoted in a message must not drive the terminal: control characters are escaped.
  return message
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A stable string code for any error: the library's, ours, or Node's (`EACCES`, ...). */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_CNITOOL_INTERNAL';
}

export function errorToJson(error: unknown): ErrorJson {
  const json: ErrorJson = { code: codeOf(error), cniCode: null, message: oneLine(error) };
  if (!isCniError(error)) return json;
  json.cniCode = error.cniCode ?? null;
  if (error.network) json.network = error.network;
  if (error.plugin) json.plugin = error.plugin;
  if (error.command) json.command = error.command;
  if (error instanceof MultipleErrors) json.errors = error.errors.map(errorToJson);
  return json;
}

/** The one-line message `cnitool` prints for an error without `--json`. */
export function errorLine(error: unknown): string {
  if (error instanceof UsageError) return `cnitool: ${oneLine(error)} (see cnitool --help)`;
  if (!isCniError(error)) return `cnitool: ${oneLine(error)}`;
  const cni = error.cniCode === undefined ? '' : ` cni=${error.cniCode}`;
  return `cnitool: ${oneLine(error)} [${error.code}${cni}]`;
}

/**
 * The exit status for an error. When a signal interrupted the run, the shell's 128 + its number,
 * whatever the error (plugins stopped part way fail with aborts or follow-on errors).
 */
export function exitCodeFor(error: unknown, signal: NodeJS.Signals | undefined): number {
  if (signal !== undefined) return 128 + (constants.signals[signal] ?? 0);
  if (error instanceof CliError) return error.exitCode;
  return EXIT.FAILED;
}
