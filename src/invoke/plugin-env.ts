const CNI_VARIABLES = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'];

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

export interface PluginEnvInput {
  command: CniCommand;
  containerId?: string | undefined;
  netns?: string | undefined;
  ifName?: string | undefined;
  /** `CNI_ARGS` already joined as `K=V;K2=V2`. */
  args?: string | undefined;
  /** The CNI path, joined with `:`. */
  path?: string | undefined;
}

export interface EnvOptions {
  /**
   * Which variables of this process the plugin sees besides `CNI_*`: `true` all of them (what the
   * Go library does), `false` none, or a list of names.
   * @default true
   */
  inheritEnv?: boolean | readonly string[] | undefined;
  /** More variables for the plugin; `CNI_*` still win. */
  extraEnv?: Readonly<Record<string, string>> | undefined;
}

/**
 * Builds a plugin's environment: the six `CNI_*` variables are always set (empty when they do not
 * apply), overriding any inherited value, in a stable order after the inherited ones.
 */
export function buildPluginEnv(input: PluginEnvInput, options: EnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const inherit = options.inheritEnv ?? true;
  if (inherit !== false) {
    const names = inherit === true ? Object.keys(process.env) : inherit;
    for (const name of names) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
  }
  Object.assign(env, options.extraEnv);
  // Drop inherited CNI_* first so that ours come last in a fixed order, whatever the parent had.
  for (const name of CNI_VARIABLES) delete env[name];
  env['CNI_COMMAND'] = input.command;
  env['CNI_CONTAINERID'] = input.containerId ?? '';
  env['CNI_NETNS'] = input.netns ?? '';
  env['CNI_IFNAME'] = input.ifName ?? '';
  env['CNI_ARGS'] = input.args ?? '';
  env['CNI_PATH'] = input.path ?? '';
  return env;
}
