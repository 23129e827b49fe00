// `nodepool info PROVIDER [--json]`: what ZooKeeper holds for one provider (image builds with
// their upload ids, and nodes), whether or not the provider is in the config.
import { type CommandModule } from '../context';
import { withZooKeeper } from '../zk';
import { providerInfo, renderTable } from '../../lib/status';
import { pyDumps } from '../../lib/zk/json';

export const info: CommandModule = {
  register(program, ctx) {
    program
      .command('info')
      .description('Show provider data from zookeeper')
      .argument('<PROVIDER>', 'Provider name')
      .option('--json', 'print JSON instead of tables', false)
      .action(async (provider: string, opts: { json: boolean }) => {
        await withZooKeeper(ctx, async (s) => {
          const data = await providerInfo(s, provider);
          if (opts.json) {
            ctx.io.stdout(`${pyDumps({ provider, images: data.images.rows, nodes: data.nodes.rows })}\n`);
            return;
          }
          ctx.io.stdout(`ZooKeeper data for provider ${provider}\n\n`);
          ctx.io.stdout(`Image data:\n${renderTable(data.images)}\n`);
          ctx.io.stdout(`\nNodes:\n${renderTable(data.nodes)}\n`);
        });
      });
  },
};
