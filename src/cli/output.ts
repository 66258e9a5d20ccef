import { errorLine, errorToJson } from './errors.js';

/** Where a plugin's stderr or event came from. */
export interface PluginWhere {
  network?: string | undefined;
  plugin?: string | undefined;
  command?: string | undefined;
}

/** The streams `cnitool` writes to; tests pass their own. */
export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

// Erases the current terminal line and returns to its start.
const CLEAR_LINE = '\r\u001b[2K';

/**
 * Everything `cnitool` prints. Without `--json`, text for people (and the Go tool's formats for
 * its commands); with it, one JSON document on stdout and one JSON object per line on stderr.
 */
export class Output {
  readonly json: boolean;
  readonly #streams: Streams;
  readonly #progress: boolean;
  #progressShown = false;

  constructor(options: { json: boolean; verbose: boolean }, streams: Streams = process) {
    this.json = options.json;
    this.#streams = streams;
    // A progress line is for someone watching a terminal; it would garble logs and JSON lines.
    this.#progress = streams.stderr.isTTY === true && !options.json && !options.verbose;
  }

  /** Prints the command's answer: `human` as text, or `json` as one line of JSON. */
  print(human: string | undefined, json: unknown): void {
    if (this.json) this.#streams.stdout.write(`${JSON.stringify(json)}\n`);
    else if (human) this.#streams.stdout.write(human.endsWith('\n') ? human : `${human}\n`);
  }

  /**
   * Prints a value the way the Go tool prints a result: indented by four spaces, without a final
   * newline (one is added on a terminal, where the prompt would otherwise follow it).
   */
  printGoJson(value: unknown): void {
    const text = JSON.stringify(value, null, 4);
    this.#streams.stdout.write(this.#streams.stdout.isTTY ? `${text}\n` : text);
  }

  /** A diagnostic line on stderr: `human` as is, or `json` as one line of JSON. */
  note(human: string, json: Record<string, unknown>): void {
    this.#clearProgress();
    this.#streams.stderr.write(this.json ? `${JSON.stringify(json)}\n` : `${human}\n`);
  }

  /** Passes on what a plugin wrote to its stderr. */
  pluginStderr(text: string, where: PluginWhere): void {
    this.#clearProgress();
    if (this.json) this.#streams.stderr.write(`${JSON.stringify({ stderr: text, ...definedOnly(where) })}\n`);
    else this.#streams.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The final error: one line on stderr. */
  error(error: unknown): void {
    this.#clearProgress();
    const line = this.json ? JSON.stringify({ error: errorToJson(error) }) : errorLine(error);
    this.#streams.stderr.write(`${line}\n`);
  }

  /** Replaces the progress line on a terminal; does nothing elsewhere. */
  progress(text: string): void {
    if (!this.#progress) return;
    // A terminal of unknown size reports 0 columns.
    const width = Math.max(20, (this.#streams.stderr.columns || 80) - 1);
    const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.#streams.stderr.write(`${CLEAR_LINE}${line}`);
    this.#progressShown = true;
  }

  /** Removes the progress line, if one is shown. */
  progressDone(): void {
    this.#clearProgress();
  }

  #clearProgress(): void {
    if (!this.#progressShown) return;
    this.#streams.stderr.write(CLEAR_LINE);
    this.#progressShown = false;
  }
}

/** A copy of `object` without its `undefined` members. */
export function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Lays rows out in columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}
