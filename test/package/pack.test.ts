// The package as npm ships it: `npm pack`, installed offline into an empty project, then imported
// from ESM, type-checked from TypeScript, and its `cnitool` bin run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

// npm and the bins it installs run on this Node, not on whatever `node` comes first on PATH.
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_'))),
  PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], cwd: string, limit = 60_000): Promise<Run> {
  const child = spawn(file, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), limit);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function succeeded(what: string, result: Run): Run {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  return result;
}

let work: string;
let project: string;
let files: string[];

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  work = await mkdtemp(path.join(tmpdir(), 'libcni-pack-'));
  // --ignore-scripts: `prepare` would rebuild dist/ under the feet of tests running beside this one.
  const packed = succeeded('npm pack', await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT));
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  files = info.files.map((file) => file.path);

  project = path.join(work, 'project');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-libcni', version: '1.0.0', private: true, type: 'module' }));
  const tarball = path.join(work, info.filename);
  // Offline: the dependencies come from npm's cache, filled when this repository's were installed.
  succeeded('npm install --offline', await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project, 90_000));
}, 150_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the built library, its declarations and the CLI, and no sources, tests or fixtures', () => {
    for (const file of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/bin.js', 'dist/cni.d.ts']) {
      expect(files).toContain(file);
    }
    const unexpected = files.filter((file) => !(file.startsWith('dist/') || ['package.json', 'README.md', 'LICENSE'].includes(file)));
    expect(unexpected).toEqual([]);
    expect(files.filter((file) => /(^|\/)(test|tests|fixtures|demo)\/|\.test\.|\.tsbuildinfo$/.test(file))).toEqual([]);
  });

  it('imports from an ESM script: parses a config and constructs CNI', async () => {
    await writeFile(
      path.join(project, 'use.mjs'),
      `import { CNI, parseConfList, isCniError, ConfigError } from 'libcni';
const list = parseConfList('{"cniVersion":"1.0.0","name":"n1","plugins":[{"type":"bridge"},{"type":"portmap","capabilities":{"portMappings":true}}]}');
const cni = new CNI({ path: '/opt/cni/bin:/usr/lib/cni', cacheDir: '/tmp/never-written' });
let code;
try { parseConfList('{'); } catch (error) { code = isCniError(error) && error instanceof ConfigError ? error.code : 'other'; }
console.log(JSON.stringify({ name: list.name, types: list.plugins.map((plugin) => plugin.type), path: cni.path, cacheDir: cni.cacheDir, code }));
`,
    );
    const result = succeeded('node use.mjs', await run(process.execPath, ['use.mjs'], project));
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'n1',
      types: ['bridge', 'portmap'],
      path: ['/opt/cni/bin', '/usr/lib/cni'],
      cacheDir: '/tmp/never-written',
      code: 'ERR_CNI_CONFIG',
    });
  });

  it('type-checks a TypeScript file that imports it, with its own declarations', async () => {
    // The consumer brings @types/node, as any Node project does; here it is this repository's copy.
    await mkdir(path.join(project, 'node_modules/@types'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules/@types/node'), path.join(project, 'node_modules/@types/node'));
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['use.ts'],
      }),
    );
    await writeFile(
      path.join(project, 'use.ts'),
      `import { CNI, parseConfList, isCniError, type NetworkConfigList, type Result, type RuntimeConf } from 'libcni';
const list: NetworkConfigList = parseConfList('{"cniVersion":"1.0.0","name":"n1","plugins":[{"type":"bridge"}]}');
const cni = new CNI({ path: ['/usr/lib/cni'], pluginTimeout: 5_000 });
const rt: RuntimeConf = { containerId: 'c1', netns: '/run/netns/c1', ifName: 'eth0', args: [['IgnoreUnknown', '1']] };
export async function attach(): Promise<Result> {
  try {
    return await cni.addNetworkList(list, rt, { timeout: 10_000 });
  } catch (error) {
    if (isCniError(error)) console.error(error.code, error.cniCode);
    throw error;
  }
}
// @ts-expect-error pluginTimeout is a number of milliseconds
new CNI({ pluginTimeout: 'soon' });
// @ts-expect-error a runtime conf needs an interface name
export const incomplete: RuntimeConf = { containerId: 'c1' };
`,
    );
    const result = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('installs cnitool as a bin', async () => {
    const result = await run(path.join(project, 'node_modules/.bin/cnitool'), ['--help'], project);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^cnitool: run CNI plugins/);
  });
});
