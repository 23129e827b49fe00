// fillSlot: one node of an accepted request in one local activity: reuse a READY unallocated
// node of the pool (take its lock with the workflow's token, re-check, allocate), or else claim
// a launch (quota check and `init` node). One call per node instead of one per step.
import { nodeLockPath } from '../../lib/zk/paths';
import type { ClaimLaunchInput, LaunchClaim, PoolRef, ReleaseLockInput } from './api';

export interface FillSlotInput extends ClaimLaunchInput {
  reuse: boolean;
  /** Token for the lock of a reused node (the workflow then holds that lock). */
  lockToken: string;
  /** Nodes tried before for this request (their locks were busy or they changed). */
  exclude: string[];
}

export type FillSlotResult = LaunchClaim | { kind: 'reused'; nodeId: string; az: string | null; lock: ReleaseLockInput; tried: string[] };

interface Steps {
  findReusableNode(input: { requestId: string; pool: PoolRef; label: string; az: string | null; exclude: string[] }): Promise<string | null>;
  tryLock(input: ReleaseLockInput): Promise<boolean>;
  releaseLock(input: ReleaseLockInput): Promise<void>;
  allocateNode(input: { requestId: string; nodeId: string; tenantName: string | null; requestor: string | null }): Promise<{ ok: boolean; az: string | null }>;
  claimLaunch(input: ClaimLaunchInput): Promise<LaunchClaim>;
}

export function createFillSlot(steps: Steps) {
  return async function fillSlot(input: FillSlotInput): Promise<FillSlotResult> {
    const { reuse, lockToken, exclude, ...claim } = input;
    if (reuse) {
      const tried = [...exclude];
      for (;;) {
        const nodeId = await steps.findReusableNode({ requestId: input.requestId, pool: input.pool, label: input.label, az: input.az, exclude: tried });
        if (!nodeId) break;
        tried.push(nodeId);
        const lock = { lockPath: nodeLockPath(nodeId), token: lockToken };
        if (!(await steps.tryLock(lock))) continue;
        const alloc = await steps.allocateNode({ requestId: input.requestId, nodeId, tenantName: input.tenantName, requestor: input.requestor }).catch(async (err: unknown) => {
          await steps.releaseLock(lock);
          throw err;
        });
        if (alloc.ok) return { kind: 'reused', nodeId, az: alloc.az, lock, tried };
        await steps.releaseLock(lock);
      }
    }
    return steps.claimLaunch(claim);
  };
}
