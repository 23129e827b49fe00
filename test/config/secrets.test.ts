// No secret ever reaches the CLI's output: env-var values, secure-file values, substituted values.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { run } from '../../cli/nodepool';
import { fixture } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'np-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function validate(args: string[]) {
  let out = '';
  const code = await run(['node', 'nodepool', ...args, 'config-validate'], { stdout: (s) => void (out += s), stderr: (s) => void (out += s) });
  return { code, out };
}

const SECRETS = ['Pa55-registry', 'sup3r-s3cret-key', 'hunter2', 'extra-keys-secret-value', 's3cr3t-registry-pw', '31415926'];

void test('env-var values in a broken main config are not printed', async () => {
  const path = join(dir, 'env.yaml');
  writeFileSync(
    path,
    [
      'diskimages:',
      '  - name: img',
      '    env-vars:',
      '      REG_PASSWORD: Pa55-registry',
      '      API_KEY: [sup3r-s3cret-key]',
      '    bogus: 1',
      '',
    ].join('\n'),
  );
  const { code, out } = await validate(['-c', path]);
  assert.equal(code, 1);
  assert.match(out, /diskimages\[0\]\.env-vars\.API_KEY: expected a string/);
  assert.match(out, /diskimages\[0\]\.bogus: unknown key/);
  for (const s of SECRETS) assert.ok(!out.includes(s), `secret ${s} leaked:\n${out}`);
});

void test('secure-file values are not printed, whatever is wrong with it', async () => {
  for (const secure of ['unknown-image.yaml', 'bad-type.yaml', 'extra-keys.yaml', 'secure.yaml']) {
    const { out } = await validate(['-c', fixture('secure', 'main.yaml'), '-s', fixture('secure', secure)]);
    for (const s of [...SECRETS, 'zk-secret-host', 'not-a-port', 'secret-zk.internal']) {
      assert.ok(!out.includes(s), `secret ${s} from ${secure} leaked:\n${out}`);
    }
  }
});

void test('a secure file that is not YAML shows only the position', async () => {
  const path = join(dir, 'secure-broken.yaml');
  writeFileSync(path, 'zookeeper-tls:\n  key: "hunter2\n');
  const { code, out } = await validate(['-c', fixture('secure', 'main.yaml'), '-s', path]);
  assert.equal(code, 1);
  assert.match(out, /secure-broken\.yaml:\d+:\d+: YAML syntax error/);
  assert.ok(!out.includes('hunter2'), out);
});
