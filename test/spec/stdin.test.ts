// Conformance lines C15-C22 (docs/CONFORMANCE.md): what each plugin reads on stdin.

import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { RT, calls, createFakeEnv, installChain, resultOf, stdinOf, versionAnswer } from './support.js';

describe('plugin stdin', () => {
  it('C15: every plugin gets the list name and cniVersion, whatever its own object says', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b'], {
      name: 'listname',
      pluginExtra: { a: { name: 'mine', cniVersion: '0.1.0' }, b: { cniVersion: '9.9.9' } },
    });
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.checkNetworkList(list, RT);
    await cni.delNetworkList(list, RT);
    const runs = await env.invocations();
    expect(runs).toHaveLength(6);
    for (const run of runs) expect(stdinOf(run)).toMatchObject({ name: 'listname', cniVersion: '1.0.0' });
  });

  it('C16: the first ADD plugin gets no prevResult key; plugin N gets the result of plugin N-1', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c']);
    await env.cni().addNetworkList(list, RT);
    const [a, b, c] = await env.invocations();
    expect(Object.keys(stdinOf(a))).not.toContain('prevResult');
    expect(stdinOf(b)['prevResult']).toEqual(resultOf('a', 0));
    expect(stdinOf(c)['prevResult']).toEqual(resultOf('b', 1));
  });

  it('C17: runtimeConfig holds exactly the capability args declared true', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['pm', 'bw', 'none'], {
      pluginExtra: {
        pm: { capabilities: { portMappings: true, bandwidth: false } },
        bw: { capabilities: { bandwidth: true, mac: true, ips: false } },
      },
    });
    const capabilityArgs = {
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
      bandwidth: { ingressRate: 1000 },
      ips: ['10.1.0.9/24'],
      unrelated: 'x',
    };
    await env.cni().addNetworkList(list, { ...RT, capabilityArgs });
    const [pm, bw, none] = await env.invocations();
    expect(stdinOf(pm)['runtimeConfig']).toEqual({ portMappings: capabilityArgs.portMappings });
    expect(stdinOf(bw)['runtimeConfig']).toEqual({ bandwidth: capabilityArgs.bandwidth });
    expect(Object.keys(stdinOf(none))).not.toContain('runtimeConfig');
  });

  it('C18: with no matching capability an admin runtimeConfig stays as written; with one it is replaced wholesale', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p'], { pluginExtra: { p: { capabilities: { mac: true }, runtimeConfig: { admin: 1 } } } });
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, capabilityArgs: { portMappings: [] } });
    await cni.delNetworkList(list, RT);
    await cni.addNetworkList(list, { ...RT, capabilityArgs: { mac: '02:00:00:00:00:01' } });
    const [first, , second] = await env.invocations();
    expect(stdinOf(first)['runtimeConfig']).toEqual({ admin: 1 });
    expect(stdinOf(second)['runtimeConfig']).toEqual({ mac: '02:00:00:00:00:01' });
  });

  it('C19: unknown keys (nested objects, arrays, args) reach the plugin with identical values', async () => {
    const env = await createFakeEnv();
    const extra = {
      nested: { deep: { list: [1, { x: null }], flag: false } },
      array: ['a', 2, [3], { four: 4 }],
      args: { cni: { labels: [{ key: 'app', value: 'web' }] } },
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/16' }]] },
      'vendor.example/opt': 'kept',
    };
    const { list } = await installChain(env, ['p'], { pluginExtra: { p: extra } });
    // ADD checks that the IPAM plugin is installed; `p` never delegates to it.
    await env.install('host-local', 'silent');
    await env.cni().addNetworkList(list, RT);
    const [run] = await env.invocations();
    expect(stdinOf(run)).toEqual({ type: 'p', ...extra, name: 'chainnet', cniVersion: '1.0.0' });
  });

  it('C20: an integer beyond 2^53 reaches the plugin digit for digit', async () => {
    const env = await createFakeEnv();
    await env.install('p');
    await env.answer('p', 'ADD', { stdout: JSON.stringify(resultOf('p', 0)) });
    const text = '{"cniVersion":"1.0.0","name":"big","plugins":[{"type":"p","big":12345678901234567890,"neg":-98765432109876543210}]}';
    await env.cni().addNetworkList(parseConfList(text), RT);
    const [run] = await env.invocations();
    expect(run!.stdin).toContain('"big":12345678901234567890');
    expect(run!.stdin).toContain('"neg":-98765432109876543210');
    expect(run!.stdin).not.toContain('12345678901234567000');
  });

  it('C21: the string "<a&b>" reaches the plugin without \\u003c / \\u0026 escapes', async () => {
    const env = await createFakeEnv();
    await env.install('p');
    await env.answer('p', 'ADD', { stdout: JSON.stringify(resultOf('p', 0)) });
    await env.cni().addNetworkList(parseConfList('{"cniVersion":"1.0.0","name":"esc","plugins":[{"type":"p","s":"<a&b>"}]}'), RT);
    const [run] = await env.invocations();
    expect(run!.stdin).toContain('"s":"<a&b>"');
    expect(run!.stdin).not.toMatch(/\\u003c|\\u0026|\\u003e/);
  });

  it('C22: GC and STATUS stdin is the plugin config plus name and cniVersion; GC adds both attachment keys', async () => {
    const env = await createFakeEnv();
    await env.install('g');
    await env.answer('g', 'VERSION', { stdout: versionAnswer(['1.0.0', '1.1.0']) });
    const text = '{"cniVersion":"1.1.0","name":"gcnet","plugins":[{"type":"g","capabilities":{"portMappings":true},"k":[1]}]}';
    const list = parseConfList(text);
    const cni = env.cni();
    await cni.getStatusNetworkList(list);
    await cni.gcNetworkList(list, { validAttachments: [{ containerId: 'ctr1', ifName: 'eth0' }] });
    await cni.gcNetworkList(list);
    const runs = (await env.invocations()).filter((run) => run.command !== 'VERSION');
    expect(calls(runs)).toEqual(['STATUS g', 'GC g', 'GC g']);
    const base = { type: 'g', capabilities: { portMappings: true }, k: [1], name: 'gcnet', cniVersion: '1.1.0' };
    expect(stdinOf(runs[0])).toEqual(base);
    const attachments = [{ containerID: 'ctr1', ifname: 'eth0' }];
    expect(stdinOf(runs[1])).toEqual({ ...base, 'cni.dev/valid-attachments': attachments, 'cni.dev/attachments': attachments });
    // Without a list of valid attachments, plugins are not told any.
    expect(stdinOf(runs[2])).toEqual(base);
  });
});
