// version, conformance: commands about one plugin binary.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { findPlugin } from '../invoke/find-plugin.js';
import { createCni, expectArgs, type Cli } from './context.js';
import { CliError } from './errors.js';
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

// A specifier the compiler does not resolve, so the CLI builds with or without the module.
const CONFORMANCE_MODULE = new URL('../conformance/index.js', import.meta.url);

async function loadConformance(): Promise<ConformanceModule> {
  const specifier: string = CONFORMANCE_MODULE.href;
  const file = fileURLToPath(CONFORMANCE_MODULE);
  try {
    return (await import(specifier)) as ConformanceModule;
  } catch (error) {
    // Only the module itself missing means "not in this build"; a module it imports missing is a bug.
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${file}'`);
    if (!missing) throw error;
    throw new CliError(
      `conformance checks are not available in this build of cnitool (${file} is missing)`,
      'ERR_CNITOOL_UNAVAILABLE',
    );
  }
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
    throw new CliError(`plugin ${type} failed ${failed} of ${report.checks.length} conformance checks`, 'ERR_CNITOOL_CONFORMANCE');
  }
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}
