import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, SCRIPT, cnitoolOnTerminal, makeWorld, type World } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = path.dirname(path.dirname(BIN));

// Whether this build has the conformance checks, in their module or the entry point.
async function hasRealChecks(): Promise<boolean> {
  for (const file of ['conformance/index.js', 'index.js']) {
    const module = await import(pathToFileURL(path.join(DIST, file)).href).catch(() => ({}));
    if (typeof (module as { runConformance?: unknown }).runConformance === 'function') return true;
  }
  return false;
}

// A stand-in for the conformance module: records what it was given and passes plugins named good*.
const STUB = `import { writeFileSync } from 'node:fs';
export async function runConformance(options) {
  const { signal, onProgress, ...rest } = options;
  writeFileSync(process.env.STUB_RECORD, JSON.stringify({ ...rest, signal: signal instanceof AbortSignal, onProgress: typeof onProgress }));
  onProgress('version');
  onProgress('add');
  const ok = options.pluginType.startsWith('good');
  return { plugin: options.pluginType, passed: ok, checks: [{ name: 'version', ok: true, durationMs: 1 }, { name: 'add', ok, durationMs: 2, detail: ok ? undefined : 'no result' }] };
}
export function formatConformanceReport(report) {
  return report.checks.map((check) => (check.ok ? 'PASS ' : 'FAIL ') + check.name).join('\\n') + '\\n';
}
`;

// A copy of the built package in the world's directory, with or without a conformance module.
async function builtCopy(world: World, stub: boolean): Promise<string> {
  const copy = path.join(world.root, 'pkg');
  await cp(DIST, path.join(copy, 'dist'), { recursive: true, filter: (source) => !source.startsWith(path.join(DIST, 'conformance')) });
  await writeFile(path.join(copy, 'package.json'), '{"type":"module"}');
  await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  // The package's entry point may offer the checks too; this copy's does not.
  await writeFile(path.join(copy, 'dist/index.js'), 'export const version = 0;\n');
  if (stub) {
    await mkdir(path.join(copy, 'dist/conformance'));
    await writeFile(path.join(copy, 'dist/conformance/index.js'), STUB);
  }
  return path.join(copy, 'dist/cli/bin.js');
}

async function runCopy(bin: string, world: World, args: string[]) {
  const { code, stdout, stderr } = await world.run(args, { bin, env: { STUB_RECORD: path.join(world.fakeDir, 'stub.json') } });
  return { code, stdout, stderr };
}

// With the real module: the CLI and the module agree on options and report (the checks need root).
const real = (await hasRealChecks()) && existsSync('/usr/lib/cni/loopback') && process.getuid?.() === 0;

describe('cnitool conformance', () => {
  it('says clearly when this build has no conformance module', async () => {
    const world = await makeWorld();
    const bin = await builtCopy(world, false);
    const missing = path.join(path.dirname(bin), '../conformance/index.js');
    expect(await runCopy(bin, world, ['conformance', 'bridge'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `cnitool: conformance checks are not available in this build of cnitool (${missing} is missing)\n`,
    });
    const json = await runCopy(bin, world, ['conformance', 'bridge', '--json']);
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'ERR_CNITOOL_UNAVAILABLE', cniCode: null });
  });

  it('passes the plugin, CNI path, config text and cache dir on, and prints the report', async () => {
    const world = await makeWorld();
    const bin = await builtCopy(world, true);
    const config = path.join(world.root, 'plugin.conf');
    await writeFile(config, '{"cniVersion":"1.0.0","name":"t","type":"good"}\n');
    const run = await runCopy(bin, world, ['conformance', 'good', '--config', config, '--cache-dir', '/tmp/x']);
    expect(run).toEqual({ code: 0, stdout: 'PASS version\nPASS add\n', stderr: '' });
    expect(JSON.parse(await readFile(path.join(world.fakeDir, 'stub.json'), 'utf8'))).toEqual({
      pluginType: 'good',
      path: [world.binDir],
      config: '{"cniVersion":"1.0.0","name":"t","type":"good"}\n',
      cacheDir: '/tmp/x',
      signal: true,
      onProgress: 'function',
    });
  });

  it('exits 1 when a check fails, with the report as JSON on stdout', async () => {
    const world = await makeWorld();
    const bin = await builtCopy(world, true);
    const run = await runCopy(bin, world, ['conformance', 'bad', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      plugin: 'bad',
      passed: false,
      checks: [
        { name: 'version', ok: true, durationMs: 1 },
        { name: 'add', ok: false, durationMs: 2, detail: 'no result' },
      ],
    });
    expect(JSON.parse(run.stderr)).toEqual({
      error: { code: 'ERR_CNITOOL_CONFORMANCE', cniCode: null, message: 'plugin bad failed 1 of 2 conformance checks' },
    });
    expect(await runCopy(bin, world, ['conformance'])).toMatchObject({ code: 2 });
    expect(await runCopy(bin, world, ['conformance', 'good', '--config', path.join(world.root, 'none')])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^cnitool: cannot read .*none: ENOENT.* \[ERR_CNI_CONFIG cni=7\]\n$/),
    });
  });

  it.runIf(SCRIPT)('shows which check runs on a terminal, and only there', async () => {
    const world = await makeWorld();
    const bin = await builtCopy(world, true);
    const env = { STUB_RECORD: path.join(world.fakeDir, 'stub.json') };
    const run = await cnitoolOnTerminal(['conformance', 'good'], { bin, env: { ...world.env, ...env } });
    expect(run.code).toBe(0);
    const clear = '\r\u001b[2K';
    expect(run.stdout).toBe(`${clear}conformance good: check 1: version${clear}conformance good: check 2: add${clear}PASS version\r\nPASS add\r\n`);
  });

  it.runIf(real)('runs the real checks against the loopback plugin and exits by the report', async () => {
    const world = await makeWorld();
    const run = await world.run(['conformance', 'loopback', '--json'], { env: { CNI_PATH: '/usr/lib/cni' }, limit: 90_000 });
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ plugin: 'loopback', passed: expect.any(Boolean), checks: expect.any(Array) });
    expect(run.code).toBe(report.passed ? 0 : 1);
  }, 120_000);
});
