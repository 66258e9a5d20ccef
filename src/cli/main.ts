import { attachCommand } from './attach.js';
import { cacheLsCommand, cacheShowCommand } from './cache.js';
import type { Cli } from './context.js';
import { EXIT, UsageError, exitCodeFor } from './errors.js';
import { HELP, USAGE } from './help.js';
import { lsCommand } from './list.js';
import { gcCommand, statusCommand, validateCommand } from './network.js';
import { parseCommandLine, wantsJson } from './options.js';
import { Output, type Streams } from './output.js';
import { conformanceCommand, versionCommand } from './plugins.js';
import { subscribeVerbose } from './verbose.js';

export { containerIdForNetns } from './context.js';
export { EXIT, oneLine } from './errors.js';

type Command = (cli: Cli) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  add: (cli) => attachCommand(cli, 'add'),
  check: (cli) => attachCommand(cli, 'check'),
  del: (cli) => attachCommand(cli, 'del'),
  status: statusCommand,
  gc: gcCommand,
  validate: validateCommand,
  ls: lsCommand,
  version: versionCommand,
  conformance: conformanceCommand,
};

const CACHE_COMMANDS: Record<string, Command> = { ls: cacheLsCommand, show: cacheShowCommand };

// The command a command line names, and the arguments it gets (after one or two words).
function lookup(positionals: readonly string[]): { command: Command; args: string[] } {
  const [name = '', ...args] = positionals;
  if (name === 'cache') {
    const [sub = '', ...rest] = args;
    const command = Object.hasOwn(CACHE_COMMANDS, sub) ? CACHE_COMMANDS[sub] : undefined;
    if (!command) {
      const usage = `${USAGE['cache ls']} | ${USAGE['cache show']}`;
      throw new UsageError(`unknown cache command ${JSON.stringify(sub)}; usage: ${usage}`);
    }
    return { command, args: rest };
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  return { command, args };
}

/**
 * Runs `cnitool` with the arguments after the program name and resolves to its exit status:
 * 0 on success, 1 when the operation failed, 2 for a wrong command line, 128 + the signal's
 * number when SIGINT or SIGTERM stopped it. Errors are printed, never thrown.
 */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  streams: Streams = process,
): Promise<number> {
  let output = new Output({ json: wantsJson(argv), verbose: false }, streams);
  const controller = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  // The first SIGINT or SIGTERM stops the running plugins (SIGTERM, then SIGKILL) and ends the
  // command; a second one kills cnitool at once, as the handlers are gone by then.
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let stopVerbose = () => {};
  try {
    const { options, positionals } = parseCommandLine(argv);
    output = new Output({ json: options.json, verbose: options.verbose }, streams);
    if (options.help || positionals[0] === 'help') {
      streams.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length === 0) {
      streams.stderr.write(HELP);
      return EXIT.USAGE;
    }
    const { command, args } = lookup(positionals);
    if (options.verbose) stopVerbose = subscribeVerbose(output);
    await command({ args, options, env, output, call: { signal: controller.signal } });
    return EXIT.OK;
  } catch (error) {
    output.error(error);
    return exitCodeFor(error, interrupted);
  } finally {
    stopVerbose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
