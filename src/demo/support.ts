import { spawn, spawnSync } from 'node:child_process';

/** Where the demo network keeps its IPAM files and its result cache (removed at the end). */
export const DEMO_DIR = '/run/libcni-demo';
export const DEMO_NETWORK = 'demo';
export const PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
export const REQUIRED_PLUGINS = ['bridge', 'host-local', 'tuning', 'portmap'];

const color = process.stdout.isTTY && !process.env['NO_COLOR'];
export const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
export const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[0m` : text);

/** Runs a command to completion and returns its stdout; throws with its stderr on failure. */
export function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr.trim()}`);
  }
  return result.stdout;
}

// A one-connection TCP echo server that gives up after five seconds.
const SERVER = `
const net = require('node:net');
const server = net.createServer((socket) => { socket.end('hello from the container'); server.close(); });
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('ready'));
setTimeout(() => process.exit(0), 5000).unref();
`;

const CLIENT = `
const net = require('node:net');
const socket = net.connect({ host: process.argv[1], port: Number(process.argv[2]), timeout: 3000 });
let reply = '';
socket.on('data', (data) => { reply += data; });
socket.on('end', () => { console.log(reply); });
socket.on('timeout', () => { console.log('no answer (timed out)'); socket.destroy(); });
socket.on('error', (error) => { console.log('no answer (' + error.code + ')'); });
`;

/**
 * Starts the echo server in the container namespace and connects to `address:port` from the
 * host namespace. Only addresses the demo assigned are used.
 */
export async function tcpProbe(hostNs: string, ctrNs: string, address: string, port: number, listenPort: number, label = ''): Promise<string> {
  const server = spawn('ip', ['netns', 'exec', ctrNs, process.execPath, '-e', SERVER, String(listenPort)], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', () => reject(new Error('the echo server did not start')));
    });
    const client = spawnSync('ip', ['netns', 'exec', hostNs, process.execPath, '-e', CLIENT, address, String(port)], { encoding: 'utf8', timeout: 10_000 });
    const reply = client.stdout.trim() || 'no answer';
    return `  ${address}:${port} ${label ? `(${label}) ` : ''}-> ${reply}`;
  } finally {
    if (server.exitCode === null) server.kill();
  }
}
