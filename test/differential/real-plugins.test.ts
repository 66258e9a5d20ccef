// Differential tests with Debian's real bridge + host-local plugins: an attachment made by the Go
// reference library is checked and deleted by our `cnitool`, and one made by our `cnitool` by Go.
// Everything runs inside a throwaway "host" namespace with a "container" namespace beside it, so
// the bridge, veths and host-local's files never touch the test machine's own network.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { skipWithoutReference, useGoReference } from './harness.js';
import { runGo, runProcess, type GoReference, type GoReply } from './reference.js';

const PLUGIN_DIR = '/usr/lib/cni';
const CNITOOL = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const NETWORK = 'diffreal';

function realPluginProblem(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (`ip`)';
  for (const plugin of ['bridge', 'host-local']) {
    if (!existsSync(path.join(PLUGIN_DIR, plugin))) return `needs ${PLUGIN_DIR}/${plugin} (package containernetworking-plugins)`;
  }
  return undefined;
}

const skip = realPluginProblem() !== undefined || skipWithoutReference;

/** cnitool's container ID for a netns path: `cnitool-` + 20 hex digits of SHA-512 of the absolute path. */
function cnitoolContainerId(netns: string): string {
  return `cnitool-${createHash('sha512').update(path.resolve(netns)).digest('hex').slice(0, 20)}`;
}

async function ip(...args: string[]): Promise<string> {
  const out = await runProcess('ip', args, { timeoutMs: 20_000 });
  if (out.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${out.code ?? out.signal}): ${out.stderr.trim()}`);
  return out.stdout;
}

interface Link {
  ifname: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function links(netns: string): Promise<Link[]> {
  const text = (await ip('-n', netns, '-j', '-d', 'addr', 'show')).trim();
  return JSON.parse(text === '' ? '[]' : text) as Link[];
}

let labs = 0;

/** A host namespace, a container namespace and a temp dir for configs, cache and host-local data. */
class Lab {
  readonly host: string;
  readonly container: string;
  readonly netnsPath: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly confDir: string;
  readonly cacheDir: string;
  readonly ipamDir: string;
  readonly #namespaces: string[] = [];

  private constructor(readonly dir: string, index: number) {
    const tag = `ldiff-${process.pid}-${index}`;
    this.host = `${tag}-host`;
    this.container = `${tag}-ctr`;
    this.netnsPath = `/var/run/netns/${this.container}`;
    this.bridge = `ld${process.pid % 100_000}b${index}`.slice(0, 15);
    this.subnet = `10.198.${(process.pid + index) % 250}.0/24`;
    this.confDir = path.join(dir, 'net.d');
    this.cacheDir = path.join(dir, 'cache');
    this.ipamDir = path.join(dir, 'ipam');
  }

  /** Creates everything; registers its removal for the end of the current test, pass or fail. */
  static async create(): Promise<Lab> {
    const dir = await mkdtemp(path.join(tmpdir(), 'libcni-diffreal-'));
    const lab = new Lab(dir, ++labs);
    onTestFinished(() => lab.dispose());
    await mkdir(lab.confDir);
    for (const name of [lab.host, lab.container]) {
      lab.#namespaces.push(name);
      await ip('netns', 'add', name);
    }
    await ip('-n', lab.host, 'link', 'set', 'lo', 'up');
    const config = {
      cniVersion: '1.0.0',
      name: NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: lab.bridge,
          isGateway: true,
          ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: lab.subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: lab.ipamDir },
        },
      ],
    };
    await writeFile(path.join(lab.confDir, '10-diffreal.conflist'), `${JSON.stringify(config, null, 2)}\n`);
    return lab;
  }

  get containerId(): string {
    return cnitoolContainerId(this.netnsPath);
  }

  get cacheFile(): string {
    return path.join(this.cacheDir, 'results', `${NETWORK}-${this.containerId}-eth0`);
  }

  /** The addresses host-local holds for the network. */
  async reservations(): Promise<string[]> {
    try {
      const names = await readdir(path.join(this.ipamDir, NETWORK));
      return names.filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** eth0's IPv4 addresses in the container namespace ([] when there is no eth0). */
  async containerAddresses(): Promise<string[]> {
    const eth0 = (await links(this.container)).find((link) => link.ifname === 'eth0');
    return (eth0?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  }

  async hostVeths(): Promise<string[]> {
    return (await links(this.host)).filter((link) => link.linkinfo?.info_kind === 'veth').map((link) => link.ifname);
  }

  /** The Go library, inside the host namespace. */
  go(reference: GoReference, op: 'add' | 'check' | 'del'): Promise<GoReply> {
    return runGo(
      reference,
      {
        op,
        confDir: this.confDir,
        network: NETWORK,
        containerId: this.containerId,
        netns: this.netnsPath,
        ifName: 'eth0',
        cacheDir: this.cacheDir,
        cniPath: [PLUGIN_DIR],
      },
      { netns: this.host },
    );
  }

  /** Our cnitool, inside the host namespace. */
  cnitool(command: 'add' | 'check' | 'del') {
    const argv = [command, NETWORK, this.netnsPath, '--cache-dir', this.cacheDir];
    return runProcess('ip', ['netns', 'exec', this.host, process.execPath, CNITOOL, ...argv], {
      env: { ...process.env, NETCONFPATH: this.confDir, CNI_PATH: PLUGIN_DIR },
      timeoutMs: 30_000,
    });
  }

  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const name of this.#namespaces.splice(0).reverse()) {
      try {
        await ip('netns', 'del', name);
      } catch (error) {
        if (existsSync(`/var/run/netns/${name}`)) errors.push(error);
      }
    }
    await rm(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, `could not delete the namespaces of ${this.host}`);
  }
}

describe.skipIf(skip)('real bridge + host-local: Go libcni and our cnitool share attachments', () => {
  const ref = useGoReference();

  beforeAll(() => {
    if (!existsSync(CNITOOL)) throw new Error(`${CNITOOL} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('Go ADD, then our cnitool check and del: the address is released and the cache file removed', async () => {
    const lab = await Lab.create();
    const add = await lab.go(ref.reference, 'add');
    expect(add, JSON.stringify(add)).toMatchObject({ ok: true });
    const result = (add as { result: { ips: { address: string }[] } }).result;
    const address = result.ips[0]!.address;
    expect(address.startsWith(lab.subnet.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(await lab.containerAddresses()).toEqual([address]);
    expect(await lab.reservations()).toEqual([address.split('/')[0]]);
    expect(existsSync(lab.cacheFile)).toBe(true);
    expect(await lab.hostVeths()).toHaveLength(1);

    const check = await lab.cnitool('check');
    expect(check.code, check.stderr).toBe(0);

    const del = await lab.cnitool('del');
    expect(del.code, del.stderr).toBe(0);
    expect(await lab.reservations()).toEqual([]);
    expect(existsSync(lab.cacheFile)).toBe(false);
    expect(await lab.containerAddresses()).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
  });

  it('our cnitool add, then Go CHECK and DEL: the address is released and the cache file removed', async () => {
    const lab = await Lab.create();
    const add = await lab.cnitool('add');
    expect(add.code, add.stderr).toBe(0);
    const result = JSON.parse(add.stdout) as { cniVersion: string; ips: { address: string }[] };
    expect(result.cniVersion).toBe('1.0.0');
    const address = result.ips[0]!.address;
    expect(await lab.containerAddresses()).toEqual([address]);
    expect(await lab.reservations()).toEqual([address.split('/')[0]]);
    expect(existsSync(lab.cacheFile)).toBe(true);

    const check = await lab.go(ref.reference, 'check');
    expect(check, JSON.stringify(check)).toEqual({ ok: true });

    const del = await lab.go(ref.reference, 'del');
    expect(del, JSON.stringify(del)).toEqual({ ok: true });
    expect(await lab.reservations()).toEqual([]);
    expect(existsSync(lab.cacheFile)).toBe(false);
    expect(await lab.containerAddresses()).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
  });
});
