// Runs the same CNI operation through the Go reference library and through ours, with the
// `diff-record` fake plugin, and reads back what each plugin run received.

import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { CNI, loadConfList, type RuntimeConf } from '../../src/index.js';
import {
  buildGoReference,
  disposeGoReference,
  goReferenceProblem,
  referenceRequired,
  runGo,
  type GoReference,
  type GoRequest,
} from './reference.js';

/** The folder holding the `diff-record` fixture; both libraries get it as their CNI path. */
export const PLUGIN_DIR = fileURLToPath(new URL('../../fixtures/plugins/', import.meta.url)).replace(/\/$/, '');
export const RECORD_PLUGIN = 'diff-record';

/** What one plugin run received. */
export interface Received {
  /** The CNI_* variables it saw. */
  env: Record<string, string>;
  /** Its stdin, byte for byte. */
  stdin: string;
  /** Its stdin, parsed. */
  json: Record<string, unknown>;
}

export interface Rt {
  containerId: string;
  netns?: string;
  ifName: string;
  args?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

export type Op = 'add' | 'check' | 'del' | 'cached';

export type Outcome = { ok: true; result?: unknown } | { ok: false; error: string; code?: number };

export interface Run {
  outcome: Outcome;
  received: Received[];
}

export interface RunOptions {
  /** ADD answers of the plugin runs, by run index; the last one also answers later runs. */
  replies?: readonly unknown[];
  /** Defaults to the world's cache dir of that side. */
  cacheDir?: string;
  /** Runs (by index) that fail: the plugin prints this error object and exits 1. */
  failures?: Readonly<Record<number, object>>;
  /** Ours only: DEL the list again when ADD fails (our default; Go never does). @default false */
  rollback?: boolean;
  /** The plugin search path. @default [PLUGIN_DIR] */
  cniPath?: readonly string[];
  /** Variables the library's own environment has (and so its plugins inherit). */
  parentEnv?: Readonly<Record<string, string>>;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/** Reads the runs the fixture recorded in `dir`, in order. */
export async function readReceived(dir: string): Promise<Received[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.stdin'));
  const received: Received[] = [];
  for (let n = 0; n < names.length; n++) {
    const stdin = await readFile(path.join(dir, `${n}.stdin`), 'utf8');
    const env = parseEnv(await readFile(path.join(dir, `${n}.env`), 'utf8'));
    received.push({ env, stdin, json: JSON.parse(stdin) as Record<string, unknown> });
  }
  return received;
}

/** A temp dir with a config dir, one cache dir per library and fresh record dirs per run. */
export class DiffWorld {
  readonly root: string;
  readonly confDir: string;
  readonly goCache: string;
  readonly ourCache: string;
  readonly #reference: GoReference;
  #runs = 0;

  private constructor(reference: GoReference, root: string) {
    this.#reference = reference;
    this.root = root;
    this.confDir = path.join(root, 'net.d');
    this.goCache = path.join(root, 'cache-go');
    this.ourCache = path.join(root, 'cache-ours');
  }

  static async create(reference: GoReference): Promise<DiffWorld> {
    const root = await mkdtemp(path.join(tmpdir(), 'libcni-diff-'));
    const world = new DiffWorld(reference, root);
    await mkdir(world.confDir);
    return world;
  }

  /** Writes a config file exactly as given; returns its path. */
  async config(fileName: string, text: string): Promise<string> {
    const file = path.join(this.confDir, fileName);
    await writeFile(file, text);
    return file;
  }

  async #recordDir(label: string, options: Pick<RunOptions, 'replies' | 'failures'>): Promise<string> {
    const dir = path.join(this.root, `record-${++this.#runs}-${label}`);
    await mkdir(dir);
    const replies = options.replies ?? [];
    for (const [index, error] of Object.entries(options.failures ?? {})) {
      await writeFile(path.join(dir, `fail.${index}`), JSON.stringify(error, null, 2));
    }
    for (const [index, reply] of replies.entries()) {
      const text = typeof reply === 'string' ? reply : JSON.stringify(reply);
      await writeFile(path.join(dir, `reply.${index}`), text);
      if (index === replies.length - 1) await writeFile(path.join(dir, 'reply'), text);
    }
    return dir;
  }

  /** Runs `op` through the Go library. */
  async go(op: Op, configFile: string, rt: Rt, options: RunOptions = {}): Promise<Run> {
    const cniPath = options.cniPath ? [...options.cniPath] : [PLUGIN_DIR];
    return this.goRequest({ op, configFile, ...rt, cacheDir: options.cacheDir ?? this.goCache, cniPath }, options);
  }

  /** Sends any request to the Go program, with the fixture dir as CNI path. */
  async goRequest(request: GoRequest, options: Pick<RunOptions, 'replies' | 'failures' | 'parentEnv'> = {}): Promise<Run> {
    const dir = await this.#recordDir(`go-${request.op}`, options);
    const env = { ...options.parentEnv, DIFF_RECORD_DIR: dir };
    const reply = await runGo(this.#reference, { cniPath: [PLUGIN_DIR], ...request }, { env });
    return { outcome: reply, received: await readReceived(dir) };
  }

  /** Runs `op` through our library (in this process). */
  async ours(op: Op, configFile: string, rt: Rt, options: RunOptions = {}): Promise<Run> {
    const list = await loadConfList(configFile);
    const conf: RuntimeConf = { ...rt };
    return this.oursCall(op, options, (cni) => {
      if (op === 'add') return cni.addNetworkList(list, conf);
      if (op === 'check') return cni.checkNetworkList(list, conf);
      if (op === 'del') return cni.delNetworkList(list, conf);
      return cni.getNetworkListCachedResult(list, conf);
    });
  }

  /** Runs any call of our library, with the fixture dir as CNI path. */
  async oursCall(label: string, options: RunOptions, call: (cni: CNI) => Promise<unknown>): Promise<Run> {
    const dir = await this.#recordDir(`ours-${label}`, options);
    const cni = new CNI({
      path: options.cniPath ?? [PLUGIN_DIR],
      cacheDir: options.cacheDir ?? this.ourCache,
      // The Go program inherits parentEnv from its parent process; here it comes in as extra env.
      extraEnv: { ...options.parentEnv, DIFF_RECORD_DIR: dir },
      rollbackOnFailure: options.rollback ?? false,
    });
    let outcome: Outcome;
    try {
      const result = await call(cni);
      outcome = result === undefined ? { ok: true } : { ok: true, result };
    } catch (error) {
      const cniCode = (error as { cniCode?: number }).cniCode;
      outcome = { ok: false, error: (error as Error).message, ...(cniCode === undefined ? {} : { code: cniCode }) };
    }
    return { outcome, received: await readReceived(dir) };
  }

  /** The cache file of an attachment under one of the cache dirs. */
  cacheFile(cacheDir: string, network: string, rt: Pick<Rt, 'containerId' | 'ifName'>): string {
    return path.join(cacheDir, 'results', `${network}-${rt.containerId}-${rt.ifName}`);
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * True where the differential tests may be skipped: the Go reference is missing and this is
 * neither root nor CI. Everywhere else a missing reference fails the tests with the reason.
 */
export const skipWithoutReference = goReferenceProblem() !== undefined && !referenceRequired();

/** The Go reference of one test file, built before its tests. */
export interface ReferenceContext {
  readonly reference: GoReference;
  /** The reference predates spec 1.1.0 (Debian 12 ships libcni 1.1.2, which speaks up to 1.0.0). */
  readonly legacy: boolean;
  /** A fresh world, removed when the current test ends. */
  newWorld(): Promise<DiffWorld>;
}

/** Builds (or reuses) the Go reference before the tests of the enclosing suite. */
export function useGoReference(): ReferenceContext {
  let built: GoReference | undefined;
  beforeAll(async () => {
    built = await buildGoReference();
  }, 200_000);
  afterAll(disposeGoReference);
  const context: ReferenceContext = {
    get reference(): GoReference {
      if (!built) throw new Error('the Go reference program is not built');
      return built;
    },
    get legacy(): boolean {
      return !context.reference.supportedVersions.includes('1.1.0');
    },
    async newWorld(): Promise<DiffWorld> {
      const world = await DiffWorld.create(context.reference);
      onTestFinished(() => world.dispose());
      return world;
    },
  };
  return context;
}
