// Client of the Go program (bench/go/main.go): one long-lived process, one JSON line per request.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export interface GoRequest {
  op: 'chain' | 'load';
  count: number;
  conflist?: string;
  cniPath?: string[];
  cacheDir?: string;
  netns?: string;
  ifName?: string;
  idPrefix?: string;
  dir?: string;
  name?: string;
}

export class GoBench {
  readonly #child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';

  constructor(binary: string) {
    this.#child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.#lines = createInterface({ input: this.#child.stdout! });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
    this.#child.on('exit', (code, signal) => {
      for (const waiter of this.#waiting.splice(0)) waiter(JSON.stringify({ ok: false, error: `Go program exited (${code ?? signal}): ${this.#stderr}` }));
    });
  }

  /** Runs one request and returns its samples (ms). */
  async run(request: GoRequest): Promise<number[]> {
    const line = await new Promise<string>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
    const reply = JSON.parse(line) as { ok: boolean; ms?: number[]; error?: string };
    if (!reply.ok) throw new Error(`Go ${request.op} failed: ${reply.error}`);
    return reply.ms ?? [];
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin!.end();
    await exited;
  }
}
