// portmap chained after bridge through libcni: a published port reaches a server in the
// container; DEL, given no port mappings, still removes the DNAT chain (libcni replays the cached
// capability args).
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, exec, requireEnvironment, waitFor } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'host-local', 'portmap'], tools: ['busybox', 'iptables'] });
  lab = await Lab.create('pm');
});

afterAll(async () => {
  await lab?.dispose();
});

async function fetchFrom(netns: string, url: string): Promise<string | undefined> {
  // busybox 1.35's static wget crashes on -T; the process timeout bounds it instead.
  const out = await exec('ip', ['netns', 'exec', netns, 'busybox', 'wget', '-q', '-O', '-', url], { timeoutMs: 5_000 });
  return out.code === 0 ? out.stdout.trim() : undefined;
}

describe('portmap', () => {
  it('publishes a container port on the host side and withdraws it on DEL', async () => {
    const ctr = await lab.netns('ctr');
    const ipamDir = `${lab.dir}/ipam`;
    const file = await lab.writeConf('portmap.conflist', {
      cniVersion: '1.0.0',
      name: 'pmnet',
      plugins: [
        { type: 'bridge', bridge: 'cnipm0', isGateway: true, ipam: { type: 'host-local', subnet: '10.245.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir } },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    });
    const www = `${lab.dir}/www`;
    await mkdir(www);
    await writeFile(`${www}/index.html`, 'published\n');
    await lab.daemon(ctr, 'busybox', ['httpd', '-f', '-p', '80', '-h', www], 'httpd.log');

    const rt = { containerId: 'ctr-pm', netns: lab.path(ctr), ifName: 'eth0', capabilityArgs: { portMappings: [{ hostPort: 28080, containerPort: 80, protocol: 'tcp' }] } };
    const result = await lab.add(file, rt);
    const address = result.ips![0]!.address.split('/')[0]!;
    expect(await waitFor('httpd in the container', () => fetchFrom(lab.host, `http://${address}:80/`))).toBe('published');
    expect(await fetchFrom(lab.host, 'http://10.245.0.1:28080/')).toBe('published');
    const dnat = (await lab.iptables(lab.host, 'nat')).filter((line) => line.startsWith('-N CNI-DN-'));
    expect(dnat).toHaveLength(1);

    // portmap 1.1.1 looks for its rules in an IPv6 chain even on IPv4-only results; its CHECK then
    // fails. Whatever it answers, libcni must hand it over naming the plugin.
    const [check] = await lab.cni([{ op: 'check', file, rt }]);
    if (!check!.ok) {
      expect(check!.error).toEqual(expect.objectContaining({ code: 'ERR_CNI_PLUGIN', plugin: 'portmap', command: 'CHECK', cniCode: 999 }));
      expect(check!.error.msg).toMatch(/could not check ipv6 dnat/);
    }

    await lab.del(file, { containerId: rt.containerId, netns: rt.netns, ifName: 'eth0' });
    expect((await lab.iptables(lab.host, 'nat')).filter((line) => /CNI-DN-|10\.245\.0\.\d+/.test(line))).toEqual([]);
    expect(await fetchFrom(lab.host, 'http://10.245.0.1:28080/')).toBeUndefined();
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
