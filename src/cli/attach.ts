// add, check, del: the Go tool's commands, with its argument handling and output.
import { loadNetworkList } from '../config/load.js';
import { confDir, createCni, expectArgs, runtimeConf, type Cli } from './context.js';

export async function attachCommand(cli: Cli, command: 'add' | 'check' | 'del'): Promise<void> {
  const [network, netns] = expectArgs(cli, command, 2) as [string, string];
  const cni = createCni(cli);
  const list = await loadNetworkList(confDir(cli), network);
  const rt = runtimeConf(cli, netns);
  const summary = { network: list.name, containerId: rt.containerId, ifName: rt.ifName, netns: rt.netns };

  if (command === 'add') {
    const result = await cni.addNetworkList(list, rt, cli.call);
    if (cli.output.json) cli.output.print(undefined, { ...summary, result });
    else cli.output.printGoJson(result);
    return;
  }
  if (command === 'check') await cni.checkNetworkList(list, rt, cli.call);
  else await cni.delNetworkList(list, rt, cli.call);
  cli.output.print(undefined, summary);
}
