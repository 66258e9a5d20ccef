import type { CNI } from '../cni.js';
import type { NetworkConfigList, PluginConfig } from '../config/conflist.js';
import { buildPluginEnv, type CniCommand } from '../invoke/plugin-env.js';
import type { PluginExecutor } from '../invoke/exec-plugin.js';
import { buildPluginStdin } from '../network-list.js';
import { ErrorObjectSchema, type Result } from '../result/schemas.js';
import type { Sandbox } from './sandbox.js';

const PLUGIN_TIMEOUT = 30_000;
const KILL_GRACE = 2_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/** One plugin run, exactly as the harness wants it (no library rules in between). */
export interface RawRun {
  command: CniCommand;
  stdin: string;
  containerId?: string | undefined;
  netns?: string | undefined;
  ifName?: string | undefined;
  args?: string | undefined;
}

export interface RawOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  /** Standard output parsed as JSON, when it is exactly one JSON value. */
  json: { value: unknown } | undefined;
  /** Why it could not run at all (spawn failure, timeout). */
  failure: string | undefined;
}

/** One attachment of the plugin under test: the setup chain's ADD and the plugin's own ADD. */
export interface Attachment {
  containerId: string;
  netns: string;
  ifName: string;
  args: string | undefined;
  capabilityArgs: Record<string, unknown> | undefined;
  /** The setup chain's result, the plugin's `prevResult`. */
  baseResult: Result | undefined;
  add: RawOutcome;
  /** The plugin's ADD result, when it printed a JSON object and exited 0. */
  result: Record<string, unknown> | undefined;
  /** Set once a DEL of the plugin succeeded, so clean-up does not send another. */
  deleted: boolean;
}

// The start of the output: where a Go panic or a shell error says what went wrong.
function head(text: string, size = 240): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return trimmed.length <= size ? trimmed : `${trimmed.slice(0, size)}…`;
}

/** How a run ended, in one line: the CNI error's code and message when there is one. */
export function describeOutcome(outcome: RawOutcome): string {
  if (outcome.failure) return outcome.failure;
  const ended = outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
  const error = ErrorObjectSchema.safeParse(outcome.json?.value);
  if (error.success) return `${ended}: error ${error.data.code}: ${error.data.msg ?? ''}${error.data.details ? ` (${error.data.details})` : ''}`;
  const out = outcome.stdout.trim() === '' ? 'no output' : `stdout: ${head(outcome.stdout)}`;
  const err = outcome.stderr.trim() === '' ? '' : `; stderr: ${head(outcome.stderr)}`;
  return `${ended}, ${out}${err}`;
}

export function succeeded(outcome: RawOutcome): boolean {
  return !outcome.failure && outcome.exitCode === 0 && outcome.signal === undefined;
}

/** Everything the checks share: the plugin, its config, the sandbox and the setup chain. */
export class Harness {
  readonly pluginType: string;
  readonly file: string;
  readonly paths: readonly string[];
  /** The setup chain plus the plugin under test, last. */
  readonly list: NetworkConfigList;
  readonly target: PluginConfig;
  readonly baseList: NetworkConfigList | undefined;
  readonly ifName: string;
  readonly sandbox: Sandbox;
  readonly #cni: CNI;
  readonly #executor: PluginExecutor;
  readonly #signal: AbortSignal | undefined;
  readonly #live = new Set<Attachment>();
  #attachments = 0;

  constructor(input: {
    pluginType: string;
    file: string;
    paths: readonly string[];
    list: NetworkConfigList;
    baseList: NetworkConfigList | undefined;
    ifName: string;
    sandbox: Sandbox;
    cni: CNI;
    executor: PluginExecutor;
    signal: AbortSignal | undefined;
  }) {
    this.pluginType = input.pluginType;
    this.file = input.file;
    this.paths = input.paths;
    this.list = input.list;
    this.target = input.list.plugins.at(-1)!;
    this.baseList = input.baseList;
    this.ifName = input.ifName;
    this.sandbox = input.sandbox;
    this.#cni = input.cni;
    this.#executor = input.executor;
    this.#signal = input.signal;
  }

  /** A new container namespace of the run; returns its path. */
  container(): Promise<string> {
    return this.sandbox.container(this.#signal);
  }

  /** The config version the checks use. */
  get version(): string {
    return this.list.cniVersion;
  }

  /** Runs the plugin under test once. */
  async run(run: RawRun): Promise<RawOutcome> {
    this.#signal?.throwIfAborted();
    const env = buildPluginEnv({ ...run, path: this.paths.join(':') });
    const outcome = await this.#executor.exec({
      file: this.file,
      stdin: run.stdin,
      env,
      timeout: PLUGIN_TIMEOUT,
      killGrace: KILL_GRACE,
      maxOutput: MAX_OUTPUT,
      signal: this.#signal,
    });
    this.#signal?.throwIfAborted();
    let json: RawOutcome['json'];
    try {
      json = { value: JSON.parse(outcome.stdout) };
    } catch {
      json = undefined;
    }
    let failure: string | undefined;
    if (outcome.spawnError) failure = `could not be started: ${outcome.spawnError.message}`;
    else if (outcome.timedOut) failure = `timed out after ${PLUGIN_TIMEOUT} ms`;
    else if (outcome.outputTooLarge) failure = 'printed more than 4 MiB';
    return { exitCode: outcome.exitCode, signal: outcome.signal, stdout: outcome.stdout, stderr: outcome.stderr, json, failure };
  }

  /** The plugin's stdin: its config with the list's name and version, and what is injected. */
  stdin(inject: { prevResult?: unknown; capabilityArgs?: Record<string, unknown> | undefined; version?: string } = {}): string {
    const list = inject.version === undefined ? this.list : { ...this.list, cniVersion: inject.version };
    return buildPluginStdin(list, this.target, {
      prevResult: inject.prevResult as Result | undefined,
      capabilityArgs: inject.capabilityArgs,
    });
  }

  /** Runs a command for an attachment, with its `CNI_*` values unless `override` changes them. */
  runFor(attachment: Attachment, command: CniCommand, options: { prevResult?: unknown; netns?: string } = {}): Promise<RawOutcome> {
    return this.run({
      command,
      stdin: this.stdin({ prevResult: options.prevResult, capabilityArgs: attachment.capabilityArgs }),
      containerId: attachment.containerId,
      netns: options.netns ?? attachment.netns,
      ifName: attachment.ifName,
      args: attachment.args,
    });
  }

  /**
   * Makes a fresh attachment in a new container namespace: the setup chain's ADD (through the
   * library), then the plugin's ADD with that result as `prevResult`.
   */
  async attach(options: { args?: string; capabilityArgs?: Record<string, unknown> } = {}): Promise<Attachment> {
    const netns = await this.container();
    const containerId = `cnct-${++this.#attachments}`;
    let baseResult: Result | undefined;
    if (this.baseList) {
      const rt = { containerId, netns, ifName: this.ifName, capabilityArgs: options.capabilityArgs };
      try {
        baseResult = await this.#cni.addNetworkList(this.baseList, rt, { signal: this.#signal });
      } catch (error) {
        throw new Error(`the setup chain (${this.baseList.plugins.map((plugin) => plugin.type).join(', ')}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const attachment: Attachment = {
      containerId,
      netns,
      ifName: this.ifName,
      args: options.args,
      capabilityArgs: options.capabilityArgs,
      baseResult,
      add: undefined as unknown as RawOutcome,
      result: undefined,
      deleted: false,
    };
    this.#live.add(attachment);
    attachment.add = await this.runFor(attachment, 'ADD', { prevResult: baseResult });
    const value = attachment.add.json?.value;
    if (succeeded(attachment.add) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      attachment.result = value as Record<string, unknown>;
    }
    return attachment;
  }

  /** Undoes an attachment as well as it can: the plugin's DEL, then the setup chain's. */
  async detach(attachment: Attachment): Promise<void> {
    if (!this.#live.delete(attachment)) return;
    if (!attachment.deleted) {
      // Best effort: the namespaces go away anyway.
      await this.runFor(attachment, 'DEL', { prevResult: attachment.result }).catch(() => undefined);
    }
    if (this.baseList) {
      const rt = { containerId: attachment.containerId, netns: attachment.netns, ifName: attachment.ifName, capabilityArgs: attachment.capabilityArgs };
      await this.#cni.delNetworkList(this.baseList, rt, { signal: this.#signal }).catch(() => undefined);
    }
  }

  /** Detaches whatever is still attached. */
  async detachAll(): Promise<void> {
    for (const attachment of [...this.#live]) await this.detach(attachment);
  }
}
