export * from './requests';
export * from './nodes';
export * from './fulfil';
export * from './decline';
export * from './components';
export * from './cleanup';
export * from './images';
