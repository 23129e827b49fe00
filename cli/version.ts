// The version string for `nodepool --version`, read from package.json at run time (the same code
// runs from cli/ under tsx and from dist/cli/ after a build, so walk up to find it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageVersion(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'temporal-nodepool' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** Nodepool prints `Nodepool version: <release>`; we add which implementation it is. */
export function versionString(): string {
  return `Nodepool version: ${packageVersion()} (temporal-nodepool)`;
}
