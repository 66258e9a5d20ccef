// version, conformance: commands about one plugin binary.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { findPlugin } from '../invoke/find-plugin.js';
import { createCni, expectArgs, type Cli } from './context.js';
import { CliError, oneLine } from './errors.js';
import { table } from './output.js';

export async function versionCommand(cli: Cli): Promise<void> {
  const [type] = expectArgs(cli, 'version', 1, 1) as [string];
  const cni = createCni(cli);
  const info = await cni.getVersionInfo(type, cli.call);
  const file = await findPlugin(type, cni.path).catch(() => undefined);
  const rows = [
    ['plugin:', file === undefined ? type : `${type} (${file})`],
    ['cniVersion:', info.cniVersion],
    ['supportedVersions:', info.supportedVersions.join(' ')],
  ];
  cli.output.print(table(rows), { plugin: type, file: file ?? null, ...info });
}

/** What `src/conformance` provides; the module is loaded only when the command runs. */
interface ConformanceReport {
  plugin: string;
  passed: boolean;
  checks: { name: string; ok: boolean; detail?: string; durationMs: number }[];
}

interface ConformanceModule {
  runConformance(options: {
    pluginType: string;
    path: readonly string[];
    config?: string;
    cacheDir?: string;
    signal?: AbortSignal;
    onProgress?: (progress: unknown) => void;
  }): Promise<ConformanceReport>;
  formatConformanceReport(report: ConformanceReport): string;
}

// Where the conformance checks may be: their own module, or the package's entry point. Specifiers
// the compiler does not resolve, so the CLI builds with or without them.
const CONFORMANCE_MODULES = ['../conformance/index.js', '../index.js'].map((file) => new URL(file, import.meta.url));

function isConformanceModule(value: unknown): value is ConformanceModule {
  const module = value as Partial<Record<keyof ConformanceModule, unknown>>;
  return typeof module.runConformance === 'function' && typeof module.formatConformanceReport === 'function';
}

async function loadConformance(): Promise<ConformanceModule> {
  const file = fileURLToPath(CONFORMANCE_MODULES[0]!);
  let broken: unknown;
  for (const url of CONFORMANCE_MODULES) {
    const specifier: string = url.href;
    try {
      const module: unknown = await import(specifier);
      if (isConformanceModule(module)) return module;
    } catch (error) {
      // A module (or one it imports) missing from the build: try the next place.
      if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
      broken ??= url === CONFORMANCE_MODULES[0] && existsSync(file) ? error : undefined;
    }
  }
  const why = broken === undefined ? `${file} is missing` : oneLine(broken);
  throw new CliError(`conformance checks are not available in this build of cnitool (${why})`, 'ERR_CNITOOL_UNAVAILABLE');
}

// The module reports each check's name as it starts; anything else is shown as JSON.
function describeProgress(type: string, count: number, progress: unknown): string {
  const name = typeof progress === 'string' ? progress : JSON.stringify(progress);
  return `conformance ${type}: check ${count}: ${name}`;
}

/** Runs the conformance checks against a plugin; exit status 1 when any fails. */
export async function conformanceCommand(cli: Cli): Promise<void> {
  const [type] = expectArgs(cli, 'conformance', 1, 1) as [string];
  const { config: configFile, cacheDir } = cli.options;
  const cni = createCni(cli);
  const config = configFile === undefined ? undefined : await readConfig(configFile);
  const conformance = await loadConformance();

  let report: ConformanceReport;
  let count = 0;
  try {
    report = await conformance.runConformance({
      pluginType: type,
      path: cni.path,
      ...(config === undefined ? {} : { config }),
      ...(cacheDir === undefined ? {} : { cacheDir }),
      ...(cli.call.signal === undefined ? {} : { signal: cli.call.signal }),
      onProgress: (progress) => cli.output.progress(describeProgress(type, ++count, progress)),
    });
  } finally {
    cli.output.progressDone();
  }
  cli.output.print(conformance.formatConformanceReport(report), report);
  if (!report.passed) {
    const failed = report.checks.filter((check) => !check.ok).length;
    const message = `plugin ${type} failed ${failed} of ${report.checks.length} conformance checks`;
    throw new CliError(message, 'ERR_CNITOOL_CONFORMANCE');
  }
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}
