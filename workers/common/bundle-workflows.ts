// Run as a child process by workflow-bundle.ts: webpack bundles workflows/ and the bundle is
// written to the file named by the first argument.
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

async function main(out: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  await writeFile(out, code);
}

main(process.argv[2] ?? '').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
