import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** The options `cnitool` takes, after any command. */
export interface Options {
  help: boolean;
  json: boolean;
  verbose: boolean;
  ifName: string | undefined;
  cacheDir: string | undefined;
  containerId: string | undefined;
  /** Milliseconds each plugin run may take. */
  timeout: number | undefined;
  /** The plugin config file for `conformance`. */
  config: string | undefined;
}

export interface CommandLine {
  options: Options;
  /** The command and its arguments (`cache`, `show`, ... for two-word commands). */
  positionals: string[];
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  ifname: { type: 'string', short: 'i' },
  'cache-dir': { type: 'string' },
  'container-id': { type: 'string' },
  timeout: { type: 'string' },
  config: { type: 'string' },
} as const;

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`Expected ${name} to be a positive whole number of milliseconds, got ${JSON.stringify(text)}`);
  }
  return value;
}

function nonEmpty(name: string, text: string | undefined): string | undefined {
  if (text === '') throw new UsageError(`Expected ${name} to be a non-empty value, got ""`);
  return text;
}

/**
 * Reads the command line. Options may come before or after the command; `--` ends them.
 *
 * @throws {UsageError} for an unknown option, a missing or bad option value.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    // node:util reports unknown options and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      // Its messages go on with advice about `--`; the first sentence is the point.
      throw new UsageError((error as Error).message.split(/\.(?:\s|$)/)[0]!);
    }
    throw error;
  }
  const { values, positionals } = parsed;
  return {
    positionals,
    options: {
      help: values.help ?? false,
      json: values.json ?? false,
      verbose: values.verbose ?? false,
      ifName: values.ifname,
      cacheDir: nonEmpty('--cache-dir', values['cache-dir']),
      containerId: nonEmpty('--container-id', values['container-id']),
      timeout: positiveInteger('--timeout', values.timeout),
      config: nonEmpty('--config', values.config),
    },
  };
}

/** True when the raw arguments ask for JSON, even if they fail to parse (so the error is JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
