export { CNI, type CNIOptions, type CallOptions, type RuntimeConf } from './cni.js';
export {
  parseConf,
  parseConfList,
  parsePluginConf,
  type NetworkConfigList,
  type PluginConfig,
  type ParseOptions,
} from './config/conflist.js';
export {
  CONFIG_EXTENSIONS,
  confFiles,
  loadConfList,
  loadNetworkDirectory,
  loadNetworkList,
  type LoadNetworkListOptions,
  type NetworkDirectory,
  type SkippedConfig,
} from './config/load.js';
export {
  CapabilityArgsSchema,
  CniArgsSchema,
  NetConfListSchema,
  NetConfSchema,
  PluginConfSchema,
  RuntimeConfSchema,
} from './config/schemas.js';
export { validateContainerId, validateInterfaceName, validateNetworkName } from './config/validate.js';
export { formatCniArgs, normalizeCniArgs, parseCniArgs, withIgnoreUnknown, type CniArgs } from './args.js';
export {
  CACHE_KIND,
  DEFAULT_CACHE_DIR,
  cacheFilePath,
  decodeCacheEntry,
  encodeCacheEntry,
  listCachedAttachments,
  readCacheEntry,
  removeCacheEntry,
  sweepTempFiles,
  writeCacheEntry,
  type AttachmentKey,
  type CacheEntry,
  type CacheRead,
  type CachedAttachment,
} from './cache/cache.js';
export * from './errors.js';
export { CHANNEL_NAMES, type ChannelName } from './diagnostics.js';
export { defaultExecutor, execaExecutor, spawnExecutor, type ExecOutcome, type ExecRequest, type PluginExecutor } from './invoke/exec-plugin.js';
export { findPlugin, splitPath, validatePluginType } from './invoke/find-plugin.js';
export { buildPluginEnv, type CniCommand, type EnvOptions, type PluginEnvInput } from './invoke/plugin-env.js';
export type { VersionInfo } from './invoke/version-info.js';
export { buildPluginStdin, type ValidAttachment } from './network-list.js';
export type { AttachOptions, AttachedNetwork, Container, NetworkAttachment } from './multi-network.js';
export { convertResult, isKnownResultVersion } from './result/convert.js';
export { parseResult } from './result/parse.js';
export {
  DnsSchema,
  ErrorObjectSchema,
  InterfaceSchema,
  Result020Schema,
  Result040Schema,
  Result100Schema,
  ResultSchema,
  RouteSchema,
  VersionInfoSchema,
  type Dns,
  type Interface,
  type Result,
  type Result020,
  type Result040,
  type Result100,
  type Route,
} from './result/schemas.js';
export { ALL_VERSIONS, CURRENT_VERSION, compareVersions, parseVersion } from './version.js';
export { NetworkManager, watchNetworks } from './manager/manager.js';
export type { NetworkManagerOptions } from './manager/options.js';
export type { UnusablePolicy } from './manager/scan.js';
export type { ManagedNetwork, NetworkReadiness, NetworkState, SkipKind, SkippedNetwork } from './manager/state.js';
export { runConformance } from './conformance/run.js';
export { formatConformanceReport } from './conformance/format.js';
export type { CheckStatus, ConformanceCheck, ConformanceOptions, ConformanceReport } from './conformance/types.js';
