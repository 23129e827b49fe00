// Public API of the config package: load/validate nodepool.yaml (+ secure file) into the
// normalised model, and compare configs for live reload.
export { loadConfig, validateConfigFile, parseConfigText, checkRecentConfig } from './load';
export type { LoadedConfig, LoadOptions, ParseOptions, TextFile } from './load';
export { ConfigError, formatIssue, formatPath, errorsOf } from './errors';
export type { ConfigIssue, IssueKind, PathSegment } from './errors';
export { deepEqual, diffProviders, providerConfigChanged } from './compare';
export type { ProviderDiff } from './compare';
export { UNSUPPORTED_DRIVERS, isSupportedDriver } from './drivers';
export type { DriverName, SupportedDriver, UnsupportedDriver } from './drivers';
export { substituteEnvVars } from './substitute';
export { ZK_PLAIN_PORT, ZK_TLS_PORT, zooKeeperHosts } from './zookeeper';
export { DEFAULT_CONFIG_PATH, unsupportedProviderMessage, unsupportedProviders } from './helpers';
export type * from './types';
