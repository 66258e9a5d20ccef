import { hasSubscribers, publish } from '../diagnostics.js';
import type { ErrorContext } from '../errors.js';
import { decodeOutcome } from './decode-output.js';
import type { ExecRequest, PluginExecutor } from './exec-plugin.js';
import type { CniCommand } from './plugin-env.js';

export interface RunPluginInput extends Omit<ExecRequest, 'env'> {
  env: Readonly<Record<string, string>>;
  command: CniCommand;
  context: ErrorContext;
  executor: PluginExecutor;
  /** Receives the plugin's stderr after every run, successful or not. */
  onStderr?: ((stderr: string, context: ErrorContext) => void) | undefined;
}

/**
 * Runs one plugin and decodes what it printed: the parsed JSON for ADD and VERSION, `undefined`
 * for the other commands. Publishes `cni:plugin:*` diagnostics.
 */
export async function runPlugin(input: RunPluginInput): Promise<unknown> {
  const { executor, command, context, onStderr, ...request } = input;
  const where = { ...context, command };
  if (hasSubscribers('plugin:start')) publish('plugin:start', { ...where, file: request.file, stdin: request.stdin });
  const outcome = await executor.exec(request);
  if (onStderr && outcome.stderr !== '') onStderr(outcome.stderr, where);
  try {
    const value = decodeOutcome(outcome, { ...where, timeout: request.timeout }, request.file, command === 'ADD' || command === 'VERSION');
    publish('plugin:finish', { ...where, exitCode: outcome.exitCode, durationMs: outcome.durationMs, stdout: outcome.stdout });
    return value;
  } catch (error) {
    publish('plugin:error', { ...where, durationMs: outcome.durationMs, error });
    throw error;
  }
}
