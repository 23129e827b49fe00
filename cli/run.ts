// Source entry for development and tests: `node --import tsx cli/run.ts -c nodepool.yaml config-validate`.
import { main } from './nodepool';

void main(process.argv);
