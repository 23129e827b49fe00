// What Linux's /proc says about a process: its stat fields, its direct children, and a figure
// from its status or smaps_rollup file. Shared by the Temporal cluster (PostgreSQL's backends,
// memory per service) and the benches (CPU and memory of what they watch).
import { readdirSync, readFileSync } from 'node:fs';

/** /proc/<pid>/stat after the command name: fields[0] is the state, [1] the ppid, [11..14] utime, stime, cutime, cstime (ticks). */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces: split after its ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * A process and its direct children (PostgreSQL's postmaster and its backends, which setsid()
 * away from its process group); none when it is not running.
 */
export function withChildren(parent: number | undefined): number[] {
  if (!parent || !statFields(parent)) return [];
  const pids = [parent];
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && Number(statFields(Number(entry))?.[1]) === parent) pids.push(Number(entry));
  }
  return pids;
}

/** A "<key>: <n> kB" line of /proc/<pid>/status or smaps_rollup, in KiB; undefined when the process is gone. */
export function procKiB(pid: number, file: 'status' | 'smaps_rollup', key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
