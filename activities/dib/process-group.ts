// Runs a command as the leader of its own process group, hands every output line (stdout and
// stderr merged, as Nodepool does) to a callback, and can kill the whole group: DIB runs its
// hooks, chroot commands and qemu-img as children, and killing only the top process would leave
// them running with the image mounted.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface GroupExit {
  /** null when the process died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupProcess {
  pid: number;
  /** Resolves when the process has exited and its output is fully read. */
  done: Promise<GroupExit>;
  /** SIGTERM to the group, then SIGKILL to the group after `graceMs` if it is still alive. */
  kill(graceMs: number): void;
}

function signalGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** How long to wait for stragglers holding the output pipe after the leader exited. */
const DRAIN_MS = 5_000;

/** Groups still running and not yet told to stop. */
const live = new Set<number>();
let exitHookInstalled = false;

/**
 * A group runs detached, so it would outlive a daemon that exits before its activity is done (a
 * shutdown that hit --shutdown-timeout): on the way out, SIGTERM every group not yet told to stop
 * (DIB's trap unmounts and cleans up on SIGTERM), so no build goes on behind a restarted builder.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of live) signalGroup(pid, 'SIGTERM');
  });
}

export function spawnGroup(argv: readonly string[], env: Record<string, string>, cwd: string, onLine: (line: string) => void): Promise<GroupProcess> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    // detached: setsid(), so the child leads a new process group we can signal as -pid.
    const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      const pid = child.pid as number;
      installExitHook();
      live.add(pid);
      let killTimer: NodeJS.Timeout | undefined;
      let exited: GroupExit | undefined;
      const streams = [child.stdout, child.stderr].map(
        (s) =>
          new Promise<void>((res) => {
            const rl = createInterface({ input: s, crlfDelay: Infinity });
            rl.on('line', onLine);
            rl.once('close', res);
          }),
      );
      const done = new Promise<GroupExit>((res) => {
        child.once('exit', (code, signal) => {
          exited = { code, signal };
          live.delete(pid);
          // A grandchild can keep the pipe open after DIB itself is gone; give it a moment, then
          // kill the group and stop reading.
          const drain = setTimeout(() => {
            signalGroup(pid, 'SIGKILL');
            child.stdout.destroy();
            child.stderr.destroy();
          }, DRAIN_MS);
          void Promise.all(streams).then(() => {
            clearTimeout(drain);
            if (killTimer) clearTimeout(killTimer);
            // Anything of the group still alive (a daemonised child) goes now.
            signalGroup(pid, 'SIGKILL');
            res(exited as GroupExit);
          });
        });
      });
      resolve({
        pid,
        done,
        kill(graceMs) {
          if (killTimer || exited) {
            if (exited) signalGroup(pid, 'SIGKILL');
            return;
          }
          live.delete(pid);
          signalGroup(pid, 'SIGTERM');
          killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        },
      });
    });
  });
}
