// Client of the Go program (bench/go/main.go): one long-lived process, one JSON line per request.

import { LineServer } from './server.js';

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
  readonly #server: LineServer;

  constructor(binary: string) {
    this.#server = new LineServer('Go program', binary);
  }

  /** Runs one request and returns its samples (ms). */
  run(request: GoRequest): Promise<number[]> {
    return this.#server.run({ ...request });
  }

  close(): Promise<void> {
    return this.#server.close();
  }
}
