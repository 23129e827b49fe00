export * from './common';
export * from './node-request';
export * from './node';
export * from './image';
export * from './component';
