// After a failed, killed or timed-out build, DIB can leave its chroot mounted (including bind
// mounts of /dev, /proc, /sys) and loop devices attached (spec dib-notes §3 failure 3, §7.5).
// Every build runs with its own TMPDIR, so everything under it is this build's: kill what still
// runs in it (chrooted hooks in another process group), unmount deepest first, detach loop
// devices backed by files under it, and only then delete it — never `rm -r` through a live bind
// mount of the host's /dev.
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { log } from '../../lib/log';

const run = promisify(execFile);
const logger = () => log('dib');

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export async function mountsUnder(dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMount)
    .filter((p) => within(p, dir));
  // Deepest first so nested mounts (chroot/proc inside chroot) go before their parents.
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let names: string[];
  try {
    names = (await readdir('/sys/block')).filter((n) => /^loop\d+$/.test(n));
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const backing = (await readFile(`/sys/block/${n}/loop/backing_file`, 'utf8')).trim();
      if (within(backing.replace(/ \(deleted\)$/, ''), dir)) out.push(`/dev/${n}`);
    } catch {
      // not attached
    }
  }
  return out;
}

/**
 * Processes chrooted into, or working in, the build's TMPDIR. sudo and chroot can put them in
 * another process group than DIB's, so killing DIB's group can miss them, and they keep the
 * mounts busy.
 */
export async function processesUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  let names: string[];
  try {
    names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const n of names) {
    const pid = Number(n);
    if (pid === process.pid) continue;
    for (const link of ['root', 'cwd']) {
      try {
        if (within(await readlink(`/proc/${n}/${link}`), dir)) {
          out.push(pid);
          break;
        }
      } catch {
        // gone, or not ours to inspect
      }
    }
  }
  return out;
}

async function killProcessesUnder(dir: string): Promise<number[]> {
  const pids = await processesUnder(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 50 && (await processesUnder(dir)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return pids;
}

async function privileged(cmd: string, args: string[]): Promise<boolean> {
  const asRoot = process.getuid?.() === 0;
  try {
    await run(asRoot ? cmd : 'sudo', asRoot ? args : ['-n', cmd, ...args], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export interface TmpCleanup {
  /** Processes still running inside the chroot or the TMPDIR (SIGKILLed). */
  killed: number[];
  unmounted: string[];
  detached: string[];
  removed: boolean;
  /** Mount points that would not go away (the directory is then left in place). */
  stuck: string[];
}

export async function cleanupDibTmp(tmpDir: string): Promise<TmpCleanup> {
  const killed = await killProcessesUnder(tmpDir);
  const unmounted: string[] = [];
  for (const mp of await mountsUnder(tmpDir)) {
    if ((await privileged('umount', [mp])) || (await privileged('umount', ['-l', mp]))) unmounted.push(mp);
  }
  const detached: string[] = [];
  for (const dev of await loopDevicesUnder(tmpDir)) {
    await privileged('partx', ['-d', dev]);
    if (await privileged('losetup', ['-d', dev])) detached.push(dev);
  }
  const stuck = await mountsUnder(tmpDir);
  let removed = false;
  if (stuck.length === 0) {
    // --one-file-system: a belt to the braces above; never descend into a mount.
    removed = (await privileged('rm', ['-rf', '--one-file-system', '--', tmpDir])) || false;
  } else {
    logger().error({ tmpDir, stuck }, 'DIB mounts would not unmount; leaving its TMPDIR in place');
  }
  if (killed.length || unmounted.length || detached.length) logger().warn({ tmpDir, killed, unmounted, detached }, 'cleaned up DIB leftovers');
  return { killed, unmounted, detached, removed, stuck };
}
