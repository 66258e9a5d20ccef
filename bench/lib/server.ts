// Client of a long-lived benchmark process that reads one JSON request per stdin line and answers
// each with one JSON line: the Go program (bench/go/main.go) and the Node lanes (bench/lane.ts).
// Requests are sent one at a time, so a process only works while it is asked to.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export class LineServer {
  readonly #child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];
  readonly #what: string;
  #stderr = '';

  constructor(what: string, command: string, args: readonly string[] = []) {
    this.#what = what;
    this.#child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.#lines = createInterface({ input: this.#child.stdout! });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
    this.#child.on('exit', (code, signal) => {
      for (const waiter of this.#waiting.splice(0)) waiter(JSON.stringify({ ok: false, error: `${what} exited (${code ?? signal}): ${this.#stderr}` }));
    });
  }

  /** Sends one request and returns the whole reply; rejects when the reply says `ok: false`. */
  async call<T extends object = Record<string, unknown>>(request: { op: string; [field: string]: unknown }): Promise<T> {
    const line = await new Promise<string>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
    const reply = JSON.parse(line) as { ok: boolean; error?: string };
    if (!reply.ok) throw new Error(`${this.#what} ${request.op} failed: ${reply.error}`);
    return reply as T;
  }

  /** Runs one timing request and returns its samples (ms). */
  async run(request: { op: string; [field: string]: unknown }): Promise<number[]> {
    return (await this.call<{ ms?: number[] }>(request)).ms ?? [];
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin!.end();
    await exited;
  }
}
