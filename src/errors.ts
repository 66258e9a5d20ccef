/**
 * Errors thrown by libcni. Branch on `code` (a stable string), not on the class or the message.
 * `cniCode` carries the numeric code of the CNI spec where one applies.
 */

/** The numeric error codes of the CNI spec (plus the Go library's 0, 8 and 999). */
export const CniErrorCode = {
  UNKNOWN: 0,
  INCOMPATIBLE_CNI_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENVIRONMENT_VARIABLES: 4,
  IO_FAILURE: 5,
  DECODING_FAILURE: 6,
  INVALID_NETWORK_CONFIG: 7,
  INVALID_NETNS: 8,
  TRY_AGAIN_LATER: 11,
  PLUGIN_NOT_AVAILABLE: 50,
  LIMITED_CONNECTIVITY: 51,
  INTERNAL: 999,
} as const;

const brand = Symbol.for('libcni.error');

/** Where an error happened in a plugin chain, when it happened in one. */
export interface ErrorContext {
  network?: string | undefined;
  plugin?: string | undefined;
  command?: string | undefined;
}

export interface CniErrorOptions extends ErrorContext {
  cause?: unknown;
  cniCode?: number | undefined;
  details?: string | undefined;
}

/** Base class of every error libcni throws. */
export class CniError extends Error {
  declare readonly [brand]: true;
  code: string = 'ERR_CNI';
  /** The CNI spec's numeric code, when there is one. */
  cniCode: number | undefined;
  details: string | undefined;
  network: string | undefined;
  plugin: string | undefined;
  command: string | undefined;
  /** Set on the error of a failed ADD when the library ran DEL to undo it. */
  rollback: RollbackOutcome | undefined;

  constructor(message: string, options: CniErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, brand, { value: true });
    this.name = 'CniError';
    this.cniCode = options.cniCode;
    this.details = options.details;
    this.network = options.network;
    this.plugin = options.plugin;
    this.command = options.command;
  }

  // Two copies of this package in one process still recognise each other's errors.
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === CniError) return isCniError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** True for any error thrown by any copy of libcni. */
export function isCniError(value: unknown): value is CniError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

function family<C extends string>(name: string, code: C) {
  return class extends CniError {
    declare code: C;
    constructor(message: string, options?: CniErrorOptions) {
      super(message, options);
      this.name = name;
      this.code = code;
    }
  };
}

/** A caller passed a bad argument (container ID, interface name, option). */
export class InvalidArgumentError extends family('InvalidArgumentError', 'ERR_CNI_INVALID_ARG') {}

/** A config file or config bytes could not be read or do not describe a network. */
export class ConfigError extends family('ConfigError', 'ERR_CNI_CONFIG') {
  /** The file the config came from, when it came from one. */
  file: string | undefined;
  /** Structured validation issues, in zod's shape, when a schema rejected the config. */
  issues: readonly { code: string; path: PropertyKey[]; message: string }[] = [];

  constructor(message: string, options: CniErrorOptions & { file?: string | undefined; issues?: ConfigError['issues'] } = {}) {
    super(message, { cniCode: CniErrorCode.INVALID_NETWORK_CONFIG, ...options });
    this.file = options.file;
    if (options.issues) this.issues = options.issues;
  }
}

/** The config directory holds no config file at all. */
export class NoConfigsFoundError extends family('NoConfigsFoundError', 'ERR_CNI_NO_CONFIGS') {
  dir: string;
  constructor(dir: string, options?: CniErrorOptions) {
    super(`no net configurations found in ${dir}`, options);
    this.dir = dir;
  }
}

/** The config directory has configs, but none with the requested network name. */
export class NetworkNotFoundError extends family('NetworkNotFoundError', 'ERR_CNI_NETWORK_NOT_FOUND') {
  dir: string;
  constructor(name: string, dir: string, options?: CniErrorOptions) {
    super(`no net configuration with name "${name}" in ${dir}`, { network: name, ...options });
    this.dir = dir;
  }
}

/** No executable plugin of that type on the CNI path, or the type is not a plain file name. */
export class PluginNotFoundError extends family('PluginNotFoundError', 'ERR_CNI_PLUGIN_NOT_FOUND') {
  paths: readonly string[];
  constructor(message: string, options: CniErrorOptions & { paths?: readonly string[] } = {}) {
    super(message, options);
    this.paths = options.paths ?? [];
  }
}

export interface PluginFailureFields {
  /** The plugin's exit code, when it exited. */
  exitCode?: number | undefined;
  /** The signal that ended the plugin, when one did. */
  signal?: string | undefined;
  /** The plugin's standard output (shortened to its last 64 KiB). */
  stdout?: string | undefined;
  /** The plugin's standard error (shortened to its last 64 KiB). */
  stderr?: string | undefined;
  /** The executable that ran. */
  path?: string | undefined;
}

/**
 * A plugin could not be run or misbehaved: it crashed, was killed, printed nothing, printed
 * something that is not JSON, or exceeded an output cap.
 */
export class PluginExecError extends family('PluginExecError', 'ERR_CNI_PLUGIN_EXEC') {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  path: string | undefined;
  constructor(message: string, options: CniErrorOptions & PluginFailureFields = {}) {
    super(message, options);
    this.exitCode = options.exitCode;
    this.signal = options.signal;
    this.stdout = options.stdout ?? '';
    this.stderr = options.stderr ?? '';
    this.path = options.path;
  }
}

/** A plugin reported a CNI error object (`{code, msg, details}`) on its standard output. */
export class PluginReportedError extends family('PluginReportedError', 'ERR_CNI_PLUGIN') {
  /** The plugin's own short message. */
  msg: string;
  exitCode: number | undefined;
  stderr: string;
  constructor(message: string, options: CniErrorOptions & PluginFailureFields & { msg: string }) {
    super(message, options);
    this.msg = options.msg;
    this.exitCode = options.exitCode;
    this.stderr = options.stderr ?? '';
  }
}

/** A plugin's result could not be parsed or converted to the version asked for. */
export class ResultError extends family('ResultError', 'ERR_CNI_RESULT') {}

/** A version is unknown, or the config's version does not allow the operation. */
export class VersionError extends family('VersionError', 'ERR_CNI_VERSION') {}

/** The caller's `AbortSignal` fired. `cause` is the signal's reason. */
export class AbortError extends family('AbortError', 'ERR_CNI_ABORTED') {}

/** A plugin run, or a whole call, took longer than its timeout. */
export class TimeoutError extends family('TimeoutError', 'ERR_CNI_TIMEOUT') {
  timeout: number;
  constructor(message: string, options: CniErrorOptions & { timeout: number }) {
    super(message, options);
    this.timeout = options.timeout;
  }
}

/**
 * ADD of an attachment that is already made: its cache entry exists. DEL it first; running the
 * plugins again would fail part way and the rollback would tear down the working attachment.
 */
export class AttachmentExistsError extends family('AttachmentExistsError', 'ERR_CNI_ATTACHMENT_EXISTS') {
  file: string;
  constructor(message: string, options: CniErrorOptions & { file: string }) {
    super(message, options);
    this.file = options.file;
  }
}

/** Waiting for another operation's lock on the same attachment (or network, for GC) gave up. */
export class LockTimeoutError extends family('LockTimeoutError', 'ERR_CNI_LOCK_TIMEOUT') {}

/** The result cache could not be read or written. */
export class CacheError extends family('CacheError', 'ERR_CNI_CACHE') {
  file: string | undefined;
  constructor(message: string, options: CniErrorOptions & { file?: string | undefined } = {}) {
    super(message, options);
    this.file = options.file;
  }
}

/** Several steps failed (a DEL that went on past a failing plugin, a rollback). */
export class MultipleErrors extends family('MultipleErrors', 'ERR_CNI_MULTIPLE') {
  errors: readonly Error[];
  constructor(message: string, errors: readonly Error[], options?: CniErrorOptions) {
    super(`${message}: ${errors.map((error) => error.message).join('; ')}`, { cause: errors[0], ...options });
    this.errors = errors;
  }
}

/** What happened to the DEL run after a failed ADD. */
export type RollbackOutcome = { ok: true } | { ok: false; error: Error };

/** Describes the plugin for messages the way operators know it: `plugin type="bridge" name="net1"`. */
export function describePlugin(context: ErrorContext): string {
  let text = `plugin type="${context.plugin ?? ''}"`;
  if (context.network) text += ` name="${context.network}"`;
  if (context.command) text += ` failed (${context.command.toLowerCase()})`;
  return text;
}
