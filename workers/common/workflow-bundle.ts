// The launcher's and builder's workflow code, bundled by webpack in a child process. Bundling in
// the daemon itself peaks at ~260 MiB, and a Node heap that grew that far stays that big for the
// daemon's whole life (measured with bench/launcher-memory.ts); the child gives it all back.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Node flags the child must not inherit: profilers, debuggers, the daemon's own heap settings. */
const NOT_FOR_CHILD = /^--(inspect|cpu-prof|heap-prof|max-old-space-size|max-semi-space-size|heap-growing-percent)/;

export async function bundleWorkflowsInChild(timeoutMs = 180_000): Promise<{ code: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'nodepool-workflows-'));
  const out = join(dir, 'workflows.js');
  try {
    // execArgv keeps a loader such as tsx when the daemon runs from source
    const args = [...process.execArgv.filter((a) => !NOT_FOR_CHILD.test(a)), require.resolve('./bundle-workflows'), out];
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, _stdout, stderr) =>
        err ? reject(new Error(`bundling the workflow code failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
    return { code: await readFile(out, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
