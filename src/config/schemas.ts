import { z } from 'zod';

// A flag the Go library accepts as a JSON boolean or as the string "true"/"false" in any case.
const flag = z
  .union([z.boolean(), z.string().regex(/^(true|false)$/i, 'expected true or false')], { error: 'expected true or false' })
  .transform((value) => (typeof value === 'boolean' ? value : value.toLowerCase() === 'true'));

// A required string field: "missing" when absent, "expected a string" when of another type.
function requiredString(missing: string, field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? missing : `expected '${field}' to be a string`) }).min(1, missing);
}

/** A plugin configuration object inside a network configuration list. Unknown keys are kept. */
export const PluginConfSchema = z.looseObject({
  type: requiredString("missing 'type'", 'type'),
  name: z.string().optional(),
  cniVersion: z.string().optional(),
  capabilities: z.record(z.string(), z.boolean()).optional(),
  ipam: z.looseObject({ type: z.string().optional() }).optional(),
  dns: z
    .looseObject({
      nameservers: z.array(z.string()).optional(),
      domain: z.string().optional(),
      search: z.array(z.string()).optional(),
      options: z.array(z.string()).optional(),
    })
    .optional(),
});

/** The top level of a `.conflist` file. `plugins` is checked element by element elsewhere. */
export const NetConfListSchema = z.looseObject({
  name: requiredString('no name', 'name'),
  cniVersion: z.string().optional(),
  cniVersions: z.array(z.string()).optional(),
  disableCheck: flag.optional(),
  disableGC: flag.optional(),
  loadOnlyInlinedPlugins: flag.optional(),
  plugins: z.array(z.unknown(), { error: "'plugins' must be an array" }).optional(),
});

/** A single-plugin `.conf` / `.json` file: a plugin object that also names the network. */
export const NetConfSchema = PluginConfSchema.extend({
  name: requiredString('no name', 'name'),
  disableCheck: flag.optional(),
  disableGC: flag.optional(),
});

/** Capability arguments: capability name to any JSON value (`portMappings`, `bandwidth`, ...). */
export const CapabilityArgsSchema = z.record(z.string(), z.unknown());

/** `CNI_ARGS` as ordered key/value pairs. */
export const CniArgsSchema = z.array(z.tuple([z.string(), z.string()]));

/** What the runtime knows about one attachment. */
export const RuntimeConfSchema = z.object({
  containerId: z.string(),
  netns: z.string().default(''),
  ifName: z.string(),
  args: CniArgsSchema.optional(),
  capabilityArgs: CapabilityArgsSchema.optional(),
});

export type PluginConf = z.infer<typeof PluginConfSchema>;
export type NetConfList = z.infer<typeof NetConfListSchema>;
export type NetConf = z.infer<typeof NetConfSchema>;
export type RuntimeConfInput = z.input<typeof RuntimeConfSchema>;
