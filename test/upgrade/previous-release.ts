// The previous release as a runnable checkout: a git worktree of the newest release tag, sharing
// this checkout's node_modules, so its launcher and builder run with their own workflow code.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../tools/servers/paths';

const git = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();

/** The newest v* tag, or why there is none (a shallow clone has no tags). */
export function previousReleaseTag(): { tag?: string; why?: string } {
  const tag = git('tag', '--list', 'v*', '--sort=-v:refname').split('\n')[0];
  if (tag) return { tag };
  return { why: git('rev-parse', '--is-shallow-repository') === 'true' ? 'a shallow clone has no release tags' : undefined };
}

export interface PreviousRelease {
  tag: string;
  root: string;
  remove(): void;
}

export function checkOutRelease(tag: string): PreviousRelease {
  const root = join(mkdtempSync(join(tmpdir(), `nodepool-${tag}-`)), 'checkout');
  git('worktree', 'add', '--detach', root, tag);
  if (!existsSync(join(root, 'node_modules'))) symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  return {
    tag,
    root,
    remove: () => {
      try {
        git('worktree', 'remove', '--force', root);
      } catch {
        // already gone
      }
    },
  };
}
