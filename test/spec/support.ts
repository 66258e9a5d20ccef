// Shared pieces of the conformance tests (docs/CONFORMANCE.md): tiny plugin scripts written on the
// fly, a private copy of the built library for tests that need a second process, and small readers.

import { chmod, cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export { calls, cniEnv, createFakeEnv, stdinOf, type FakeEnv, type Invocation } from '../helpers/fake-env.js';
export { RT, installChain, resultOf } from '../helpers/chain.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Writes an executable POSIX sh plugin `name` into `dir` whose body is `body`. */
export async function shPlugin(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body.trim()}\n`);
  await chmod(file, 0o755);
  return file;
}

/** A VERSION answer supporting `versions`. */
export function versionAnswer(versions: readonly string[], cniVersion = '1.1.0'): string {
  return JSON.stringify({ cniVersion, supportedVersions: versions });
}

/** Parses a cache file, or undefined when it does not exist. */
export async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The rejection of a promise that must reject. */
export async function rejectionOf<E = Error & Record<string, unknown>>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the call to reject, but it resolved');
}

// Relative imports of a copied build that point at nothing: a copy taken during a rebuild lacks some.
async function brokenImports(dist: string): Promise<string[]> {
  const names = (await readdir(dist, { recursive: true })).filter((name) => name.endsWith('.js'));
  if (!names.includes('index.js') || !names.includes(path.join('cli', 'bin.js'))) return ['index.js or cli/bin.js'];
  const missing: string[] = [];
  for (const name of names) {
    const text = await readFile(path.join(dist, name), 'utf8');
    for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = path.join(dist, path.dirname(name), match[1]!);
      if (!existsSync(target)) missing.push(target);
    }
  }
  return missing;
}

let copied: Promise<{ index: string; bin: string; cache: string }> | undefined;
let copiedDir: string | undefined;

// Registered while the test file that imports this module is collected: the copy goes with it.
afterAll(async () => {
  if (copiedDir) await rm(copiedDir, { recursive: true, force: true });
});

/**
 * A private copy of `dist/`, made once per test file, for child processes: a rebuild that empties
 * `dist/` meanwhile cannot pull it away from under them. Waits (bounded) for a complete build.
 */
export function builtLibrary(): Promise<{ index: string; bin: string; cache: string }> {
  copied ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cni-spec-dist-'));
    copiedDir = dir;
    const dist = path.join(dir, 'dist');
    for (let attempt = 0; ; attempt++) {
      try {
        await rm(dist, { recursive: true, force: true });
        await cp(path.join(ROOT, 'dist'), dist, { recursive: true });
        const missing = await brokenImports(dist);
        if (missing.length > 0) throw new Error(`incomplete build: ${missing.slice(0, 3).join(', ')}`);
        break;
      } catch (error) {
        if (attempt >= 40) throw new Error(`no usable dist/ (run npm run build): ${(error as Error).message}`);
        await sleep(500);
      }
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    return { index: path.join(dist, 'index.js'), bin: path.join(dist, 'cli', 'bin.js'), cache: path.join(dist, 'cache', 'cache.js') };
  })();
  return copied;
}
