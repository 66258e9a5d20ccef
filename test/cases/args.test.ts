// User case B04 (docs/CONFORMANCE.md): CNI_ARGS with keys a strict plugin does not know.

import { describe, expect, it } from 'vitest';
import { loadNetworkList, withIgnoreUnknown, type CniArgs } from '../../src/index.js';
import { caseWorld, rejectionOf } from './support.js';

// Splits CNI_ARGS like plugins built on the Go library do: unknown keys fail unless IgnoreUnknown is 1/true.
const STRICT = `
cat > /dev/null
ignore=
unknown=
IFS=';'
for pair in $CNI_ARGS; do
  key=\${pair%%=*}
  value=\${pair#*=}
  case "$key" in
    IgnoreUnknown) case "$value" in 1|true|True|TRUE) ignore=1 ;; esac ;;
    IP) ;;
    *) unknown=1 ;;
  esac
done
echo "$CNI_COMMAND $CNI_ARGS" >> "$TMP/log"
if [ -n "$unknown" ] && [ -z "$ignore" ]; then echo '{"cniVersion":"1.0.0","code":2,"msg":"unknown arg"}'; exit 1; fi
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.7/16"}]}'
exit 0`;

async function strictWorld() {
  const w = await caseWorld();
  await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'strictargs' }] });
  await w.plugin('strictargs', STRICT);
  return { w, list: await loadNetworkList(w.confDir, 'neta') };
}

const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };

describe('CNI_ARGS cases', () => {
  it('B04: with withIgnoreUnknown the runtime sends IgnoreUnknown=1 first, and the strict plugin accepts the pod keys', async () => {
    const { w, list } = await strictWorld();
    const cni = w.cni();
    const args = withIgnoreUnknown([['POD_NS', 'default'], ['POD_NAME', 'web']]);
    expect(await cni.addNetworkList(list, { ...RT, args })).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.7/16' }] });
    // DEL replays the CNI_ARGS of ADD time from the cache.
    await cni.delNetworkList(list, RT);
    expect(await w.log()).toEqual(['ADD IgnoreUnknown=1;POD_NS=default;POD_NAME=web', 'DEL IgnoreUnknown=1;POD_NS=default;POD_NAME=web']);
  });

  it('B04: without IgnoreUnknown the plugin error surfaces with code 2 and msg "unknown arg"', async () => {
    const { w, list } = await strictWorld();
    const error = await rejectionOf(w.cni({ rollbackOnFailure: false }).addNetworkList(list, { ...RT, args: [['POD_NS', 'default'], ['POD_NAME', 'web']] }));
    expect(error).toMatchObject({ name: 'PluginReportedError', code: 'ERR_CNI_PLUGIN', cniCode: 2, msg: 'unknown arg', plugin: 'strictargs' });
    expect(await w.log()).toEqual(['ADD POD_NS=default;POD_NAME=web']);
  });

  it.each<[string, CniArgs, string]>([
    ['pairs given as an object keep their order', { POD_NS: 'default', POD_NAME: 'web' }, 'IgnoreUnknown=1;POD_NS=default;POD_NAME=web'],
    ['IgnoreUnknown=true already present is not doubled', [['POD_NS', 'default'], ['IgnoreUnknown', 'true']], 'POD_NS=default;IgnoreUnknown=true'],
    ['only a well-known key still gets the flag', [['IP', '10.88.0.7']], 'IgnoreUnknown=1;IP=10.88.0.7'],
    ['Kubernetes-style keys', [['K8S_POD_NAMESPACE', 'ns'], ['K8S_POD_NAME', 'p'], ['K8S_POD_INFRA_CONTAINER_ID', 'ctr1'], ['K8S_POD_UID', 'u-1']], 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=ctr1;K8S_POD_UID=u-1'],
  ])('B04: %s', async (_, given, expected) => {
    const { w, list } = await strictWorld();
    const pairs = Array.isArray(given) ? (given as [string, string][]) : Object.entries(given);
    await w.cni().addNetworkList(list, { ...RT, args: withIgnoreUnknown(pairs) });
    expect(await w.log()).toEqual([`ADD ${expected}`]);
  });

  it.each([
    ['a value with ;', [['POD_NAME', 'a;IgnoreUnknown=1']]],
    ['a value with =', [['POD_NAME', 'a=b']]],
    ['a key with =', [['A=B', 'c']]],
    ['an empty key', [['', 'c']]],
  ])('B04: CNI_ARGS with %s, which a plugin would misread, is refused before any plugin runs', async (_, args) => {
    const { w, list } = await strictWorld();
    await expect(w.cni().addNetworkList(list, { ...RT, args: args as [string, string][] })).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG' });
    expect(await w.log()).toEqual([]);
  });
});
