// lib/status: Nodepool's status listings (nodepool/status.py) read from ZooKeeper, and their
// table and JSON renderings, shared by the `nodepool` CLI and the launcher's web app.
export * from './types';
export * from './age';
export * from './py-str';
export * from './table';
export * from './output';
export * from './nodes';
export * from './requests';
export * from './images';
export * from './image-list';
export * from './dib-image-list';
export * from './image-status';
export * from './labels';
export * from './info';
