// The runtime side of the rootless test. It runs as an ordinary user inside `unshare -rn`: a user
// namespace that maps that user to root, and a fresh network namespace that stands in for the
// host. It makes the container namespace itself (a `unshare -n sleep` child, so the namespace is
// owned by the same user namespace and the plugins may enter it), runs ADD, CHECK and DEL of one
// network through the built library, and reports what it saw at each step.
//
// Reads one JSON request on stdin and prints one JSON reply on stdout:
//
//   request: { library, pluginDir, confDir, network, cacheDir, ipamDir, sleepSeconds,
//              containerId, ifName, capabilityArgs }
//   reply:   { identity, containerPid, netns, steps: { add, check, del },
//              after: { add: Snapshot, del: Snapshot } } | { fatal }
//
// A Snapshot is what a user could look at in the two namespaces and the two state directories.
// The driver stops the container process before it exits; if the driver itself is killed, the
// container process lives on for at most `sleepSeconds` (the test finds and kills it by PID).

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const request = JSON.parse(readFileSync(0, 'utf8'));

/** Runs a command; returns its stdout, or throws with its stderr. */
function run(file, args) {
  const out = spawnSync(file, args, { encoding: 'utf8', timeout: 20_000 });
  if (out.error) throw new Error(`${file} ${args.join(' ')}: ${out.error.message}`);
  if (out.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${out.status ?? out.signal}): ${out.stderr.trim()}`);
  return out.stdout;
}

function json(file, args) {
  const text = run(file, args).trim();
  return JSON.parse(text === '' ? '[]' : text);
}

/** Names in a directory; [] when it does not exist. */
function list(dir) {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

/** The regular files under a directory, as paths relative to it; [] when it does not exist. */
function files(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** `ip -j -d addr` output cut down to name, kind, bridge and IPv4 addresses. */
function links(raw) {
  return raw.map((link) => ({
    ifname: link.ifname,
    kind: link.linkinfo?.info_kind ?? null,
    master: link.master ?? null,
    up: (link.flags ?? []).includes('UP'),
    inet: (link.addr_info ?? []).filter((entry) => entry.family === 'inet').map((entry) => `${entry.local}/${entry.prefixlen}`),
  }));
}

function describeError(error, isCniError) {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error) };
  const out = { name: error.name, message: error.message };
  if (isCniError?.(error)) {
    for (const key of ['code', 'cniCode', 'plugin', 'network', 'command', 'msg', 'exitCode']) {
      if (error[key] !== undefined) out[key] = error[key];
    }
    if (Array.isArray(error.errors)) out.errors = error.errors.map((inner) => describeError(inner, isCniError));
  }
  return out;
}

let sleeper;

async function main() {
  const { CNI, isCniError, loadNetworkList } = await import(pathToFileURL(request.library).href);
  const status = readFileSync('/proc/self/status', 'utf8');
  const identity = {
    uid: process.getuid(),
    gid: process.getgid(),
    uidMap: readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).map(Number),
    gidMap: readFileSync('/proc/self/gid_map', 'utf8').trim().split(/\s+/).map(Number),
    capEff: /^CapEff:\s*(\S+)/m.exec(status)?.[1],
    home: process.env.HOME,
    xdgStateHome: process.env.XDG_STATE_HOME,
  };

  // The stand-in host: only `lo`, brought up as a runtime's host would have it.
  run('ip', ['link', 'set', 'lo', 'up']);

  // The container: a child in a network namespace of its own, found by PID.
  sleeper = spawn('unshare', ['-n', 'sleep', String(request.sleepSeconds)], { stdio: 'ignore' });
  const pid = sleeper.pid;
  if (pid === undefined) throw new Error('could not start `unshare -n sleep`');
  const hostNs = readlinkSync('/proc/self/ns/net');
  const netns = `/proc/${pid}/ns/net`;
  for (let tries = 0; ; tries++) {
    let current;
    try {
      current = readlinkSync(netns);
    } catch {
      current = undefined;
    }
    if (current !== undefined && current !== hostNs) break;
    if (tries >= 200) throw new Error(`the container namespace of PID ${pid} did not appear within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  const snapshot = () => ({
    containerLinks: links(json('nsenter', [`--net=${netns}`, 'ip', '-j', '-d', 'addr', 'show'])),
    hostLinks: links(json('ip', ['-j', '-d', 'addr', 'show'])),
    hostNat: run('iptables', ['-t', 'nat', '-S']).trim().split('\n'),
    cacheFiles: files(request.cacheDir),
    reservations: list(path.join(request.ipamDir, request.network)),
  });

  const cni = new CNI({ path: [request.pluginDir], cacheDir: request.cacheDir });
  const network = await loadNetworkList(request.confDir, request.network);
  const rt = { containerId: request.containerId, netns, ifName: request.ifName, capabilityArgs: request.capabilityArgs };
  const step = async (operation) => {
    const started = performance.now();
    try {
      const value = await operation();
      return { ok: true, value: value ?? null, ms: performance.now() - started };
    } catch (error) {
      return { ok: false, error: describeError(error, isCniError), ms: performance.now() - started };
    }
  };

  const steps = {};
  const after = {};
  steps.add = await step(() => cni.addNetworkList(network, rt));
  after.add = snapshot();
  steps.check = await step(() => cni.checkNetworkList(network, rt));
  steps.del = await step(() => cni.delNetworkList(network, rt));
  after.del = snapshot();
  return { identity, containerPid: pid, netns, steps, after };
}

async function stopSleeper() {
  if (!sleeper || sleeper.exitCode !== null || sleeper.signalCode !== null) return;
  const gone = new Promise((resolve) => sleeper.once('exit', resolve));
  sleeper.kill('SIGKILL');
  await gone;
}

let reply;
try {
  reply = await main();
} catch (error) {
  reply = { fatal: describeError(error) };
  process.exitCode = 1;
}
await stopSleeper();
process.stdout.write(JSON.stringify(reply));
