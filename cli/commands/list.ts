// `nodepool list [--detail] [--json]`: every node (9 columns, 21 with --detail).
import { type CommandContext, type CommandModule } from '../context';
import { printListing, withZooKeeper } from '../zk';
import { LIST_DETAIL_FIELDS, LIST_FIELDS, nodeList } from '../../lib/status';
import { type ZkSession } from '../../lib/zk/session';

/** Nodepool's self.list(node_id=...): also what `delete` and `hold` print afterwards. */
export async function printNodes(ctx: CommandContext, s: ZkSession, opts: { nodeId?: string; detail?: boolean; json?: boolean } = {}): Promise<void> {
  const listing = await nodeList(s, { nodeId: opts.nodeId });
  printListing(ctx, listing, opts.json ?? false, opts.detail ? LIST_DETAIL_FIELDS : LIST_FIELDS);
}

export const list: CommandModule = {
  register(program, ctx) {
    program
      .command('list')
      .description('list nodes')
      .option('--detail', 'Output detailed node info', false)
      .option('--json', 'print JSON (the web app’s format) instead of a table', false)
      .action(async (opts: { detail: boolean; json: boolean }) => {
        await withZooKeeper(ctx, (s) => printNodes(ctx, s, opts));
      });
  },
};
