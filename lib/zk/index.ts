// lib/zk: Nodepool's ZooKeeper protocol for TypeScript (session, kazoo lock, codecs, paths,
// watchers, operations). See spec/zk-protocol.md for the wire format this implements.
export * from './errors';
export * from './json';
export * from './paths';
export * from './session';
export * from './tls';
export * from './lock';
export * from './codec-common';
export * from './codec-request';
export * from './codec-node';
export * from './codec-image';
export * from './codec-component';
export * from './watchers/children-cache';
export * from './watchers/request-watcher';
export * from './watchers/node-watcher';
export * from './operations';
