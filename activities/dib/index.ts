// The DIB part of the builder: build one diskimage with diskimage-builder as a Temporal activity.
export { createDibActivities, type DibActivities, type DibActivityDeps } from './run';
export { specLoaderFromFiles, type SpecFiles } from './spec-loader';
export { dibSpecFromConfig, DEFAULT_PROVIDER_IMAGE_FORMAT } from './spec';
export { buildDibCommand, displayCommand, type DibCommand } from './command';
export { fakeDibCommand } from './fake';
export { pruneBuildLogs, buildLogPath } from './build-logs';
export { emitBuildStats, type BuildStats } from './stats';
export * from './types';
