// The library and cnitool as an ordinary user: no root on the host, no /var/lib/cni.
//
// The test runs as root only to become someone else: it starts the runtime as user `nobody`
// (setpriv) inside `unshare -rn`, a user namespace that maps nobody to root and a fresh network
// namespace that stands in for the host. The container namespace belongs to a `unshare -n sleep`
// child started inside, so the plugins (bridge + host-local + portmap, with the capabilities of
// that user namespace only) may enter it. The result cache lives under the user's state directory
// and host-local's reservations under a directory the user owns. Nothing reaches the test
// runner's own network namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRIVER = fileURLToPath(new URL('./driver.mjs', import.meta.url));
const EXAMPLE = path.join(ROOT, 'examples', 'rootless', 'rootless.sh');
const PLUGIN_DIR = '/usr/lib/cni';
const USER = 'nobody';
const PATH_ENV = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin';
const NETWORK = 'rootless';
const SUBNET = /^10\.244\.77\.(\d+)\/24$/;
const PORTMAPPINGS = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
// Every process the user runs for one test carries this variable with the test's own value, so
// that what a killed run leaves behind (the container's `sleep`, a plugin) is found by its PID.
const TAG_VARIABLE = 'LIBCNI_ROOTLESS_TAG';

function readSysctl(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function numericId(flag: '-u' | '-g'): number | undefined {
  const out = spawnSync('id', [flag, USER], { encoding: 'utf8' });
  return out.status === 0 ? Number(out.stdout.trim()) : undefined;
}

const uid = numericId('-u');
const gid = numericId('-g');

/** setpriv's arguments that turn root into `nobody` with no supplementary groups. */
function asUser(): string[] {
  return ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--'];
}

/**
 * Why this cannot run here (the test is then skipped), or undefined. Only these skip it: not being
 * root (it has to become another user), no user `nobody`, and unprivileged user namespaces being
 * off. A missing tool, plugin or build fails the test instead.
 */
function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux user and network namespaces';
  if (process.getuid?.() !== 0) {
    return 'needs root, to run the runtime as user nobody (as an ordinary user, run examples/rootless/rootless.sh instead)';
  }
  if (uid === undefined || gid === undefined) return `needs a user named ${USER}`;
  if (readSysctl('/proc/sys/user/max_user_namespaces') === '0') return 'unprivileged user namespaces are disabled (user.max_user_namespaces = 0)';
  if (readSysctl('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)';
  }
  if (readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'unprivileged user namespaces are restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1)';
  }
  const probe = spawnSync('setpriv', [...asUser(), 'unshare', '-rn', 'true'], { encoding: 'utf8', timeout: 10_000 });
  // EPERM or EACCES where a policy forbids them (possibly only when writing the ID maps); ENOSPC
  // where the per-user limit is 0.
  const refused = /(unshare failed|write failed \/proc\/self\/\w+): (Operation not permitted|Permission denied|No space left on device)/;
  if (probe.status !== 0 && refused.test(probe.stderr)) {
    return `unprivileged user namespaces are disabled here: ${probe.stderr.trim()}`;
  }
  return undefined;
}

const SKIP = skipReason();

interface Output {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command (SIGKILL after `timeoutMs`); reports its PID as soon as it has one. */
function exec(
  file: string,
  args: readonly string[],
  options: { input?: string; cwd?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<Output> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Fails (does not skip) with everything missing that this test needs and root could install. */
function requireTools(): void {
  const missing: string[] = [];
  for (const tool of ['setpriv', 'unshare', 'nsenter', 'ip', 'iptables', 'sleep']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(`the \`${tool}\` command`);
  }
  for (const plugin of ['bridge', 'host-local', 'portmap']) {
    if (!existsSync(path.join(PLUGIN_DIR, plugin))) missing.push(`the ${plugin} plugin in ${PLUGIN_DIR} (containernetworking-plugins)`);
  }
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) missing.push('the built library (run `npm run build` first)');
  if (missing.length > 0) throw new Error(`the rootless test needs ${missing.join(', ')}`);
}

// The relative imports of copied .js files that do not resolve: a copy taken mid-build lacks some.
async function unresolvedImports(dist: string): Promise<string[]> {
  const names = (await readdir(dist, { recursive: true })).filter((name) => name.endsWith('.js'));
  if (!names.includes('index.js')) return ['index.js'];
  const missing: string[] = [];
  for (const name of names) {
    const text = await readFile(path.join(dist, name), 'utf8');
    for (const [, target] of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const resolved = path.join(dist, path.dirname(name), target!);
      if (!existsSync(resolved)) missing.push(path.relative(dist, resolved));
    }
  }
  return missing;
}

/** Makes a tree readable (and its directories searchable) by everyone. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    await chmod(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

/** The PIDs of live processes whose environment has `TAG_VARIABLE=tag`. */
function taggedProcesses(tag: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`${TAG_VARIABLE}=${tag}`)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Waits (bounded) until no process of the tag is left; with `kill`, SIGKILLs them by PID first. */
async function tagGone(tag: string, kill: boolean): Promise<number[]> {
  let left = taggedProcesses(tag);
  for (let round = 0; left.length > 0 && round < 100; round++) {
    if (kill) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
    await sleep(20);
    left = taggedProcesses(tag);
  }
  return left;
}

/**
 * The user's world: `base` (root's, searchable by all) holds a copy of the built library that the
 * user may read; `home` is the user's own, with the network config and host-local's data dir. The
 * cache directory is not created here: the library makes it.
 */
interface World {
  base: string;
  lib: string;
  home: string;
  stateHome: string;
  cacheDir: string;
  confDir: string;
  ipamDir: string;
  /** The value of TAG_VARIABLE for this world's processes. */
  tag: string;
  /** The processes started with setpriv, still running if a test timed out. */
  children: ChildProcess[];
}

const worlds: World[] = [];

// Runs after every test, passed or failed: stops what is still running by PID, removes the files.
afterEach(async () => {
  const errors: string[] = [];
  for (const world of worlds.splice(0)) {
    for (const child of world.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const left = await tagGone(world.tag, true);
    if (left.length > 0) errors.push(`processes ${left.join(', ')} survived SIGKILL`);
    await rm(world.base, { recursive: true, force: true });
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
});

async function createWorld(): Promise<World> {
  const base = await mkdtemp(path.join(tmpdir(), 'libcni-rootless-'));
  const lib = path.join(base, 'lib');
  const home = path.join(base, 'home');
  const stateHome = path.join(home, '.local', 'state');
  const world: World = {
    base,
    lib,
    home,
    stateHome,
    cacheDir: path.join(stateHome, 'libcni'),
    confDir: path.join(home, '.config', 'cni', 'net.d'),
    ipamDir: path.join(home, 'ipam'),
    tag: randomBytes(8).toString('hex'),
    children: [],
  };
  worlds.push(world);

  // A copy of dist/: a rebuild running meanwhile empties dist/ and must not pull it away.
  const dist = path.join(lib, 'dist');
  for (let attempt = 0; ; attempt++) {
    try {
      await rm(dist, { recursive: true, force: true });
      await cp(path.join(ROOT, 'dist'), dist, { recursive: true });
      const missing = await unresolvedImports(dist);
      if (missing.length > 0) throw new Error(`dist/ lacks ${missing.join(', ')}`);
      break;
    } catch (error) {
      if (attempt >= 20) throw new Error(`cannot copy the built library (run \`npm run build\` first): ${(error as Error).message}`);
      await sleep(250);
    }
  }
  await cp(DRIVER, path.join(lib, 'driver.mjs'));
  await cp(EXAMPLE, path.join(lib, 'rootless.sh'));
  await openUp(base);
  // The library's dependencies, resolved from the copy.
  await symlink(path.join(ROOT, 'node_modules'), path.join(lib, 'node_modules'));

  await mkdir(world.confDir, { recursive: true });
  await mkdir(world.ipamDir);
  await writeFile(
    path.join(world.confDir, '10-rootless.conflist'),
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: NETWORK,
        plugins: [
          {
            type: 'bridge',
            bridge: 'cni-rootless0',
            isGateway: true,
            ipMasq: true,
            ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.77.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: world.ipamDir },
          },
          { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        ],
      },
      null,
      2,
    ),
  );
  for (const entry of [home, ...(await readdir(home, { recursive: true })).map((name) => path.join(home, name))]) {
    await chown(entry, uid!, gid!);
  }
  await chmod(home, 0o700);
  return world;
}

/** Runs `command` as the user, with a clean environment whose HOME is the user's world. */
function runAsUser(world: World, command: readonly string[], options: { input?: string; env?: readonly string[]; timeoutMs?: number } = {}): Promise<Output> {
  const env = [`HOME=${world.home}`, `XDG_STATE_HOME=${world.stateHome}`, PATH_ENV, `${TAG_VARIABLE}=${world.tag}`, ...(options.env ?? [])];
  return exec('setpriv', [...asUser(), 'env', '-i', ...env, ...command], {
    cwd: world.home,
    timeoutMs: options.timeoutMs ?? 60_000,
    input: options.input ?? '',
    onSpawn: (child) => world.children.push(child),
  });
}

/** Throws with a clear message when the user cannot run Node or read the library copy. */
async function requireReadableByUser(world: World): Promise<void> {
  const out = await runAsUser(world, ['sh', '-c', 'test -x "$0" && test -r "$1" && grep "^CapEff:" /proc/self/status', process.execPath, path.join(world.lib, 'dist', 'index.js')]);
  if (out.code !== 0) {
    throw new Error(`user ${USER} cannot run ${process.execPath} or read ${world.lib}: every directory above them must be searchable by others`);
  }
  // Outside the user namespace the user has no capabilities at all.
  expect(out.stdout.trim()).toBe('CapEff:\t0000000000000000');
}

interface Link {
  ifname: string;
  kind: string | null;
  master: string | null;
  up: boolean;
  inet: string[];
}
interface Snapshot {
  containerLinks: Link[];
  hostLinks: Link[];
  hostNat: string[];
  cacheFiles: string[];
  reservations: string[];
}
type Step = { ok: true; value: unknown; ms: number } | { ok: false; error: Record<string, unknown>; ms: number };
interface Reply {
  fatal?: { message: string };
  identity: { uid: number; gid: number; uidMap: number[]; gidMap: number[]; capEff: string; home: string; xdgStateHome: string };
  containerPid: number;
  netns: string;
  steps: { add: Step; check: Step; del: Step };
  after: { add: Snapshot; del: Snapshot };
}
interface AddResult {
  interfaces: { name: string; sandbox?: string }[];
  ips: { address: string; gateway?: string; interface?: number }[];
}

const addresses = (snapshot: Snapshot) => snapshot.reservations.filter((name) => name !== 'lock' && !name.startsWith('last_reserved_ip'));

describe.skipIf(SKIP !== undefined)(`as user ${USER}, without root${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('ADDs, CHECKs and DELs bridge + host-local + portmap with the cache in the user state directory', { timeout: 90_000 }, async () => {
    requireTools();
    const world = await createWorld();
    await requireReadableByUser(world);
    const request = {
      library: path.join(world.lib, 'dist', 'index.js'),
      pluginDir: PLUGIN_DIR,
      confDir: world.confDir,
      network: NETWORK,
      cacheDir: world.cacheDir,
      ipamDir: world.ipamDir,
      sleepSeconds: 60,
      containerId: 'rootless-ctr',
      ifName: 'eth0',
      capabilityArgs: { portMappings: PORTMAPPINGS },
    };
    const out = await runAsUser(world, ['unshare', '-rn', '--', process.execPath, path.join(world.lib, 'driver.mjs')], {
      input: JSON.stringify(request),
    });
    let reply: Reply;
    try {
      reply = JSON.parse(out.stdout) as Reply;
    } catch {
      throw new Error(`driver exited with ${out.code ?? out.signal} and printed no JSON; stdout: ${out.stdout}; stderr: ${out.stderr}`);
    }
    if (reply.fatal) throw new Error(`driver failed: ${reply.fatal.message}; stderr: ${out.stderr}`);
    const { identity, steps, after, netns } = reply;

    // Root inside, the user outside: the only mapping is user -> 0.
    expect(identity).toMatchObject({ uid: 0, gid: 0, uidMap: [0, uid, 1], gidMap: [0, gid, 1], home: world.home });
    expect(netns).toBe(`/proc/${reply.containerPid}/ns/net`);

    // ADD
    if (!steps.add.ok) throw new Error(`ADD failed: ${JSON.stringify(steps.add.error)}`);
    const result = steps.add.value as AddResult;
    expect(result.ips).toHaveLength(1);
    const [ip] = result.ips;
    const address = ip!.address;
    expect(address).toMatch(SUBNET);
    expect(ip!.gateway).toBe('10.244.77.1');
    expect(result.interfaces[ip!.interface!]).toEqual(expect.objectContaining({ name: 'eth0', sandbox: netns }));
    const bare = address.split('/')[0]!;

    const added = after.add;
    expect(added.containerLinks.find((link) => link.ifname === 'eth0')).toMatchObject({ kind: 'veth', up: true, inet: [address] });
    expect(added.hostLinks.find((link) => link.ifname === 'cni-rootless0')).toMatchObject({ kind: 'bridge', inet: ['10.244.77.1/24'] });
    expect(added.hostLinks.filter((link) => link.kind === 'veth' && link.master === 'cni-rootless0')).toHaveLength(1);
    expect(added.hostNat.some((rule) => rule.includes('--dport 8080') && rule.includes(`--to-destination ${bare}:80`))).toBe(true);
    expect(added.cacheFiles).toEqual([`results/${NETWORK}-rootless-ctr-eth0`]);
    expect(addresses(added)).toEqual([bare]);

    // CHECK: bridge and host-local pass; portmap 1.1.1 cannot CHECK an IPv4-only attachment (it
    // looks for its IPv6 chain). A portmap without that bug passes too.
    if (!steps.check.ok) {
      expect(steps.check.error).toMatchObject({ code: 'ERR_CNI_PLUGIN', plugin: 'portmap', command: 'CHECK', cniCode: 999 });
      expect(steps.check.error['msg']).toMatch(/^could not check ipv6 dnat: chain CNI-DN-[0-9a-f]+ not found in iptables table nat$/);
    }

    // DEL: the interface, the host side, the port mapping, the cache entry and the address go.
    if (!steps.del.ok) throw new Error(`DEL failed: ${JSON.stringify(steps.del.error)}`);
    const deleted = after.del;
    expect(deleted.containerLinks.map((link) => link.ifname)).toEqual(['lo']);
    expect(deleted.hostLinks.filter((link) => link.kind === 'veth')).toEqual([]);
    expect(deleted.hostNat.filter((rule) => rule.includes('CNI-DN-') || rule.includes('--to-destination'))).toEqual([]);
    expect(deleted.cacheFiles).toEqual([]);
    expect(addresses(deleted)).toEqual([]);

    // The library made the cache directory itself, as the user, private to the user.
    for (const dir of [world.cacheDir, path.join(world.cacheDir, 'results'), path.join(world.cacheDir, 'locks')]) {
      const info = await stat(dir);
      expect({ dir, uid: info.uid, gid: info.gid, mode: info.mode & 0o777 }).toEqual({ dir, uid, gid, mode: 0o700 });
    }
    // The driver stopped the container process; nothing the user started is left.
    expect(await tagGone(world.tag, false)).toEqual([]);
  });

  it('runs examples/rootless/rootless.sh with cnitool', { timeout: 90_000 }, async () => {
    requireTools();
    const world = await createWorld();
    await requireReadableByUser(world);
    const cnitool = `${process.execPath} ${path.join(world.lib, 'dist', 'cli', 'bin.js')}`;
    const out = await runAsUser(world, ['sh', path.join(world.lib, 'rootless.sh')], { env: [`CNITOOL=${cnitool}`, `TMPDIR=${world.home}`] });
    if (out.code !== 0) throw new Error(`rootless.sh exited with ${out.code ?? out.signal}; stdout: ${out.stdout}; stderr: ${out.stderr}`);

    const address = /^eth0@\S+\s+UP\s+(10\.244\.77\.\d+\/24)\b/m.exec(out.stdout)?.[1];
    expect(address, out.stdout).toMatch(SUBNET);
    expect(out.stdout).toContain(`--to-destination ${address!.split('/')[0]}:80`);
    expect(out.stdout).toMatch(/== CHECK\n(ok|bridge, host-local: ok; portmap: .*could not check ipv6 dnat.*)\n== DEL\n/);
    expect(out.stdout).toContain(`no cached attachments in ${path.join(world.cacheDir, 'results')}`);
    // The script removed its work directory (under TMPDIR) and left the cache empty.
    expect((await readdir(world.home)).filter((name) => name.startsWith('libcni-rootless.'))).toEqual([]);
    expect(await readdir(path.join(world.cacheDir, 'results'))).toEqual([]);
    expect(await tagGone(world.tag, false)).toEqual([]);
  });
});
