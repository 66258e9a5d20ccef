// The floor every Node runtime pays: node:child_process.spawn of the plugin with its stdin and
// environment, collecting stdout, and nothing else.

import { spawn } from 'node:child_process';
import type { ExecRequest, PluginExecutor } from '../../src/index.js';

export interface BareRequest {
  file: string;
  stdin: string;
  env: Readonly<Record<string, string>>;
}

/** Spawns `file`, writes `stdin`, resolves with stdout once the process has exited. */
export function bareSpawn(request: BareRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(request.file, [], { env: request.env, stdio: 'pipe' });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.resume();
    child.stdin.on('error', () => {});
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${request.file} exited with ${code}`))));
    child.stdin.end(request.stdin);
  });
}

/** Wraps an executor so that the requests it runs can be replayed by `bareSpawn`. */
export function recording(executor: PluginExecutor): PluginExecutor & { requests: ExecRequest[] } {
  const requests: ExecRequest[] = [];
  return {
    requests,
    exec(request) {
      requests.push(request);
      return executor.exec(request);
    },
  };
}
