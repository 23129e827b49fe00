// `nodepool erase PROVIDER [--force]`: remove the provider's ZooKeeper data (every build's
// providers/<P> subtree, i.e. all its uploads, and all its node znodes). Cloud resources are not
// touched. Without --force it asks first, exactly as Nodepool does; end of input counts as "no"
// (Python's input() would raise EOFError).
import { createInterface } from 'node:readline';
import { type CommandModule } from '../context';
import { withZooKeeper } from '../zk';
import { providerBuilds, readAllNodes } from '../../lib/status';
import { deleteNode } from '../../lib/zk/operations/nodes';
import { buildPath } from '../../lib/zk/paths';

/** One line from stdin without its line ending, or null at end of input. */
function readAnswer(): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) resolve(null);
    });
  });
}

export const erase: CommandModule = {
  register(program, ctx) {
    program
      .command('erase')
      .description('Erase provider data from zookeeper')
      .argument('<PROVIDER>', 'Provider name')
      .option('--force', 'Bypass the warning prompt', false)
      .action(async (provider: string, opts: { force: boolean }) => {
        await withZooKeeper(ctx, async (s) => {
          const builds = await providerBuilds(s, provider);
          const nodes = (await readAllNodes(s)).filter((n) => n.provider === provider);
          if (!opts.force) {
            ctx.io.stdout('\nWARNING! This action is not reversible!\n');
            ctx.io.stdout(`Erase ZooKeeper data for provider ${provider}? [N/y] `);
            const answer = await readAnswer();
            if (answer?.toLowerCase() !== 'y') {
              ctx.io.stdout(`${answer === null ? '\n' : ''}Aborting. No data erased.\n`);
              return;
            }
          }
          ctx.io.stdout(`Erasing build data for ${provider}...\n`);
          for (const b of builds) await s.deleteRecursive(`${buildPath(b.image, b.build_id)}/providers/${provider}`);
          ctx.io.stdout(`Erasing node data for ${provider}...\n`);
          for (const n of nodes) await deleteNode(s, n);
        });
      });
  },
};
