// `nodepool hold ID` (NP24): lock the node (5 s), set it to `hold`, unlock, print its row. No
// hold_job, comment or expiration: it stays until someone deletes it (or max-hold-age).
import { printNodes } from './list';
import { type CommandModule } from '../context';
import { findNode, setNodeStateLocked, withZooKeeper } from '../zk';

export const hold: CommandModule = {
  register(program, ctx) {
    program
      .command('hold')
      .description('place a node in the HOLD state e.g. for running maintenance tasks')
      .argument('<id>', 'node id')
      .action(async (id: string) => {
        await withZooKeeper(ctx, async (s) => {
          if (!(await findNode(s, id)) || !(await setNodeStateLocked(s, id, 'hold'))) {
            ctx.io.stdout(`Node id ${id} not found\n`);
            return;
          }
          await printNodes(ctx, s, { nodeId: id });
        });
      });
  },
};
