// Every workflow the workers run (a Worker takes one workflows module).
export { nodeWorkflow } from './node';
export { minReadyWorkflow } from './min-ready';
export { diskimageWorkflow } from './diskimage';
export { cleanupWorkflow } from './cleanup';
export { poolWorkflow } from './pool';
