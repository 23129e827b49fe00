// A deliberately incompatible version of `smoke` (a timer where the history has an activity),
// used to prove that replay catches non-determinism.
import { sleep } from '@temporalio/workflow';

export async function smoke(_name: string): Promise<string> {
  await sleep(1000);
  return 'changed';
}
