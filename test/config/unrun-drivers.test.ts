// Providers of drivers we do not run (kubernetes, aws, metastatic, …) are checked with Nodepool
// 11's schema for each: a valid sample loads (and is skipped by the launcher), a misspelt key or
// a wrong type is an error naming file, line and key path. When Nodepool 11 is installed
// (NODEPOOL11_VENV, default /tmp/np11-venv), its own `config-validate` must agree on every file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig, unsupportedProviderMessage, unsupportedProviders } from '../../lib/config';
import { UNSUPPORTED_DRIVERS } from '../../lib/config/drivers';
import { ProviderClients } from '../../workers/launcher/providers';
import { errorLines, fixture } from './helpers';

const sample = (driver: string) => fixture('unrun', `${driver}.yaml`);

interface Case {
  id: string;
  driver: string;
  /** A unique line of the sample, and what it becomes. */
  from: string;
  to: string;
  /** The key path the error must name. */
  path: string;
  /** What the message must say. */
  says: RegExp;
}

const TYPO = /unknown key .*extra keys not allowed/;
const CASES: Case[] = [
  { id: 'k8s-pool-typo', driver: 'kubernetes', from: '        max-ram: 65536', to: '        max-rams: 65536', path: 'providers[0].pools[0].max-rams', says: TYPO },
  { id: 'k8s-pool-type', driver: 'kubernetes', from: '        default-label-cpu: 2', to: '        default-label-cpu: two', path: 'providers[0].pools[0].default-label-cpu', says: /expected an integer, got "two"/ },
  { id: 'k8s-label-typo', driver: 'kubernetes', from: '            scheduler-name: myscheduler', to: '            schedulername: myscheduler', path: 'providers[0].pools[0].labels[2].schedulername', says: TYPO },
  { id: 'k8s-label-type', driver: 'kubernetes', from: '            privileged: true', to: '            privileged: "yes"', path: 'providers[0].pools[0].labels[2].privileged', says: /expected a boolean/ },
  { id: 'k8s-env-type', driver: 'kubernetes', from: '                value: hello', to: '                value: 42', path: 'providers[0].pools[0].labels[1].env[0].value', says: /expected a string, got 42/ },
  { id: 'k8s-provider-typo', driver: 'kubernetes', from: '    launch-retries: 3', to: '    launch-retry: 3', path: 'providers[0].launch-retry', says: TYPO },
  { id: 'aws-pool-typo', driver: 'aws', from: '        subnet-id: subnet-0123456789abcdef0', to: '        subnet_id: subnet-0123456789abcdef0', path: 'providers[0].pools[0].subnet_id', says: TYPO },
  { id: 'aws-pool-type', driver: 'aws', from: '        public-ipv4: true', to: '        public-ipv4: sometimes', path: 'providers[0].pools[0].public-ipv4', says: /expected a boolean/ },
  { id: 'aws-label-typo', driver: 'aws', from: '            volume-size: 10', to: '            volume_size: 10', path: 'providers[0].pools[0].labels[0].volume_size', says: TYPO },
  { id: 'aws-label-type', driver: 'aws', from: '            use-spot: true', to: '            use-spot: maybe', path: 'providers[0].pools[0].labels[1].use-spot', says: /expected a boolean/ },
  { id: 'aws-label-enum', driver: 'aws', from: '              allocation-strategy: prioritized', to: '              allocation-strategy: cheapest', path: 'providers[0].pools[0].labels[2].fleet.allocation-strategy', says: /expected one of/ },
  { id: 'aws-label-exclusive', driver: 'aws', from: '            use-spot: true', to: '            diskimage: fake-image', path: 'providers[0].pools[0].labels[1].diskimage', says: /mutually exclusive/ },
  { id: 'meta-label-typo', driver: 'metastatic', from: '            grace-time: 2', to: '            grace_time: 2', path: 'providers[1].pools[0].labels[0].grace_time', says: TYPO },
  { id: 'meta-label-type', driver: 'metastatic', from: '            max-parallel-jobs: 2', to: '            max-parallel-jobs: two', path: 'providers[1].pools[0].labels[0].max-parallel-jobs', says: /expected an integer, got "two"/ },
  { id: 'openshift-typo', driver: 'openshift', from: '    max-projects: 10', to: '    max-project: 10', path: 'providers[0].max-project', says: TYPO },
  { id: 'openshiftpods-type', driver: 'openshiftpods', from: '            cpu: 1', to: '            cpu: one', path: 'providers[0].pools[0].labels[0].cpu', says: /expected an integer/ },
  { id: 'gce-label-typo', driver: 'gce', from: '            volume-type: standard', to: '            volume_type: standard', path: 'providers[0].pools[0].labels[0].volume_type', says: TYPO },
  { id: 'azure-pool-type', driver: 'azure', from: '        ipv4: true', to: '        ipv4: please', path: 'providers[0].pools[0].ipv4', says: /expected a boolean/ },
  { id: 'ibmvpc-quota-typo', driver: 'ibmvpc', from: '      cores: 200', to: '      core: 200', path: 'providers[0].quota.core', says: TYPO },
];

const dir = mkdtempSync(join(tmpdir(), 'unrun-drivers-'));

/** Writes a copy of `driver`'s sample with line `from` replaced; returns it and that line's number. */
function edited(id: string, driver: string, from: string, to: string): { file: string; line: number } {
  const text = readFileSync(sample(driver), 'utf8');
  const at = text.indexOf(`${from}\n`);
  assert.ok(at >= 0 && text.indexOf(`${from}\n`, at + 1) < 0, `${id}: "${from}" must be one line of ${driver}.yaml`);
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length));
  return { file, line: text.slice(0, at).split('\n').length };
}

const broken = (c: Case) => edited(c.id, c.driver, c.from, c.to);

void test('a valid sample of every driver we do not run loads, and the launcher skips it', async () => {
  for (const driver of UNSUPPORTED_DRIVERS) {
    assert.deepEqual(await errorLines(sample(driver)), [], driver);
    const { config } = await loadConfig(sample(driver), undefined, { env: {} });
    const skipped = unsupportedProviders(config);
    assert.deepEqual(skipped.map((p) => p.driver), [driver]);
    // no label is served by these pools
    for (const label of Object.values(config.labels)) assert.deepEqual(label.pools.filter((p) => p.provider === skipped[0]?.name), [], driver);
  }
});

for (const c of CASES) {
  void test(`${c.id}: rejected with file, line and key path`, async () => {
    const { file, line } = broken(c);
    const lines = await errorLines(file);
    const prefix = `${file}:${line}:`;
    const hit = lines.find((l) => l.startsWith(prefix) && l.includes(` ${c.path}: `));
    assert.ok(hit, `expected an error at ${prefix} naming ${c.path}, got:\n${lines.join('\n')}`);
    assert.match(hit, c.says);
  });
}

// Keys Nodepool 11's daemon reads although its validator rejects them: a running config may have
// them, and refusing it would stop our launcher, so they are accepted (lib/config/README.md).
const DAEMON_ONLY: Array<[driver: string, after: string, add: string]> = [
  ['aws', '    region-name: us-west-2', '    use-internal-ip: true\n    host-key-checking: false\n    public-ipv6: false'],
  ['aws', '        public-ipv4: true', '        use-internal-ip: true'],
  ['gce', '    rate-limit: 1', '    rate: 2'],
  ['gce', '        use-internal-ip: true', '        host-key-checking: false'],
  ['metastatic', '    driver: metastatic', '    rate: 1'],
  ['openshift', '    max-projects: 10', '    max-servers: 10'],
  ['openshiftpods', '    max-pods: 20', '    max-projects: 10\n    max-servers: 10'],
  ['ibmvpc', '    vpc: nodepool', '    image-format: qcow2'],
  ['azure', '    location: centralus', '    diskimages:\n      - name: fake-image\n        password: pw\n        generate-password: true'],
];

void test('keys Nodepool 11 reads but its validator lacks are accepted', async () => {
  for (const [i, [driver, after, add]] of DAEMON_ONLY.entries()) {
    const { file } = edited(`daemon-only-${i}`, driver, after, `${after}\n${add}`);
    assert.deepEqual(await errorLines(file), [], `${driver}: ${add}`);
  }
});

void test('the launcher says once that it does not serve such a provider, and why', async () => {
  const { config } = await loadConfig(sample('kubernetes'), undefined, { env: {} });
  const [kube] = unsupportedProviders(config);
  assert.ok(kube);
  assert.equal(unsupportedProviderMessage(kube), 'driver kubernetes not supported: provider kubespray is not served and its pools (main) are not registered');
  const clients = new ProviderClients();
  const said: string[] = [];
  (clients as unknown as { logger: { warn: (o: object, m: string) => void } }).logger.warn = (_o, m) => void said.push(m);
  clients.sync(config);
  clients.sync(config); // a reload with the provider still there: no repeat
  assert.deepEqual(said, [unsupportedProviderMessage(kube)]);
  assert.deepEqual(clients.names(), []);
});

const NP11 = process.env.NODEPOOL11_VENV ?? '/tmp/np11-venv';
const np11 = join(NP11, 'bin', 'nodepool');

void test('Nodepool 11 config-validate agrees: samples pass, every broken copy fails', { skip: !existsSync(np11) && `no Nodepool 11 at ${NP11}` }, async () => {
  const run = promisify(execFile);
  const exitCode = (file: string) =>
    run(np11, ['-c', file, 'config-validate']).then(
      () => 0,
      (err: { code?: number }) => err.code ?? -1,
    );
  const files = [...UNSUPPORTED_DRIVERS.map((d) => ({ name: d, file: sample(d), want: 0 })), ...CASES.map((c) => ({ name: c.id, file: broken(c).file, want: 1 }))];
  const codes = await Promise.all(files.map((f) => exitCode(f.file)));
  assert.deepEqual(
    files.map((f, i) => `${f.name}: ${codes[i]}`),
    files.map((f) => `${f.name}: ${f.want}`),
  );
});
