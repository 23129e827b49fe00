// The real-DIB test reads its Debian mirror from apt's configuration; check the two file formats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debianMirrors, parseDeb822, parseOneLine } from './apt-mirror';

void test('deb822 .sources: main and security mirrors', () => {
  const sources = parseDeb822(
    'Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n' +
      'Types: deb\nURIs: http://mirror.invalid/debian-security/\nSuites: bookworm-security\nComponents: main\n\n' +
      'Types: deb-src\nURIs: http://src.invalid/debian\nSuites: bookworm\n',
  );
  assert.deepEqual(debianMirrors(sources, 'bookworm'), { mirror: 'http://mirror.invalid/debian', security: 'http://mirror.invalid/debian-security' });
  assert.equal(debianMirrors(sources, 'trixie'), undefined);
});

void test('one-line sources.list, options and comments; security derived when absent', () => {
  const sources = parseOneLine('# deb http://old.invalid/debian bookworm main\ndeb [arch=amd64] http://m.invalid/debian/ bookworm main\n');
  assert.deepEqual(debianMirrors(sources, 'bookworm'), { mirror: 'http://m.invalid/debian', security: 'http://m.invalid/debian-security' });
});
