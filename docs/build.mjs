// Generates the API reference in docs/api from the doc comments in src/, with typedoc and its
// markdown plugin. They live in this folder's own npm project (docs/package.json) because typedoc
// needs TypeScript 5.x or 6.0 while the library builds with TypeScript 7.
//
//   node docs/build.mjs           write docs/api (run `npm --prefix docs ci` first; `npm run docs` does both)
//   node docs/build.mjs --check   generate into a temp dir and compare with docs/api; exit 1 if it is
//                                 stale. Installs docs/node_modules from the lock file when missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const docs = fileURLToPath(new URL('.', import.meta.url));
const api = path.join(docs, 'api');
const check = process.argv.includes('--check');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: docs, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// The versions the lock file pins for the direct dependencies, and whether those are installed.
async function installed() {
  const lock = JSON.parse(await readFile(path.join(docs, 'package-lock.json'), 'utf8'));
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith('node_modules/') || key.indexOf('/node_modules/', 1) > 0) continue;
    const file = path.join(docs, key, 'package.json');
    if (!existsSync(file)) return false;
    if (JSON.parse(await readFile(file, 'utf8')).version !== entry.version) return false;
  }
  return true;
}

// Every file under dir, as paths relative to it.
async function files(dir) {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort();
}

async function typedoc(out) {
  const bin = path.join(docs, 'node_modules', '.bin', 'typedoc');
  if (!existsSync(bin)) {
    console.error('typedoc is not installed: run `npm --prefix docs ci` (or `npm run docs` at the repository root)');
    process.exit(1);
  }
  // --treatValidationWarningsAsErrors is left off: a type used by an export but not exported itself
  // is reported, and documented as a plain name, without failing the build.
  const status = run(bin, ['--options', path.join(docs, 'typedoc.json'), '--out', out, '--logLevel', 'Warn']);
  if (status !== 0) process.exit(status);
}

if (!check) {
  await rm(api, { recursive: true, force: true });
  await typedoc(api);
  console.log(`docs/api: ${(await files(api)).length} files generated from src/index.ts`);
} else {
  if (!(await installed())) {
    const status = run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel', 'error']);
    if (status !== 0) process.exit(status);
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'libcni-api-'));
  try {
    await typedoc(tmp);
    const [want, have] = await Promise.all([files(tmp), files(api)]);
    const problems = [
      ...want.filter((name) => !have.includes(name)).map((name) => `missing  docs/api/${name}`),
      ...have.filter((name) => !want.includes(name)).map((name) => `extra    docs/api/${name}`),
    ];
    for (const name of want.filter((entry) => have.includes(entry))) {
      const [a, b] = await Promise.all([readFile(path.join(tmp, name), 'utf8'), readFile(path.join(api, name), 'utf8')]);
      if (a !== b) problems.push(`outdated docs/api/${name}`);
    }
    if (problems.length > 0) {
      console.error(`docs/api does not match the doc comments in src/ (run \`npm run docs\` and commit docs/api):\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      console.log(`docs/api is up to date (${want.length} files).`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
