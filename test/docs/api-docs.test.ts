// The committed API docs match the code: docs/api is what typedoc generates from src/ now, and the
// hand-written docs/API.md names every export of the build.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// npm (which installs docs/node_modules when missing) runs on this Node, not on the first `node` on PATH.
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_'))),
  PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
};

function node(script: string, args: readonly string[] = []) {
  const out = spawnSync(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 170_000 });
  return { code: out.status, output: `${out.stdout}${out.stderr}${out.error ? String(out.error) : ''}` };
}

describe('API docs', () => {
  it('docs/api is generated from the current doc comments (else run `npm run docs`)', { timeout: 180_000 }, () => {
    const { code, output } = node('docs/build.mjs', ['--check']);
    expect(code, output).toBe(0);
  });

  it('docs/API.md names every export of the build', () => {
    const { code, output } = node('docs/check-api.mjs');
    expect(code, output).toBe(0);
  });
});
