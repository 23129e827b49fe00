// The driver registry: what each provider of a real config can do here, asked by capability.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, parseConfigText } from '../../lib/config';
import { FileCloud } from '../../drivers/filecloud/adapter';
import { capabilities, cloudAdapter, hasCleanup, isCloudProvider, launchesNodes, takesImageUploads } from '../../drivers/registry';
import { fixture } from '../config/helpers';

void test('a 2024 config: OpenStack launches, uploads and cleans up; static only launches (hands out its hosts); kubernetes and aws do nothing', async () => {
  const { config } = await loadConfig(fixture('good', 'full-2024.yaml'));
  const by = (driver: string) => Object.values(config.providers).filter((p) => p.driver === driver);
  const [openstack] = by('openstack');
  const [stat] = by('static');
  assert.ok(openstack && stat, 'fixture has an openstack and a static provider');
  assert.deepEqual(capabilities(openstack), { launches: true, cloud: true, imageUploads: true, cleanup: true });
  assert.ok(launchesNodes(openstack) && isCloudProvider(openstack) && takesImageUploads(openstack) && hasCleanup(openstack));
  assert.deepEqual(capabilities(stat), { launches: true, cloud: false, imageUploads: false, cleanup: false });
  assert.ok(launchesNodes(stat) && !isCloudProvider(stat) && !takesImageUploads(stat) && !hasCleanup(stat));
  for (const p of [...by('kubernetes'), ...by('aws')]) {
    assert.equal(p.supported, false);
    assert.deepEqual(capabilities(p), { launches: false, cloud: false, imageUploads: false, cleanup: false }, p.name);
  }
  assert.equal(launchesNodes(undefined), false, 'a provider removed from the config');
});

const FILECLOUD = `
labels: [{name: small}]
providers:
  - name: files
    driver: filecloud
    cloud: /tmp/filecloud-state
    cloud-images: [{name: debian}]
    pools:
      - name: main
        max-servers: 2
        labels: [{name: small, cloud-image: debian, flavor-name: small}]
`;

void test('a driver written for the tests (filecloud) is unknown to a config unless NODEPOOL_TEST_DRIVERS=1, then a cloud driver like OpenStack with its own adapter', (t) => {
  const before = process.env.NODEPOOL_TEST_DRIVERS;
  t.after(() => {
    if (before === undefined) delete process.env.NODEPOOL_TEST_DRIVERS;
    else process.env.NODEPOOL_TEST_DRIVERS = before;
  });
  delete process.env.NODEPOOL_TEST_DRIVERS;
  const refused = parseConfigText({ file: 'nodepool.yaml', text: FILECLOUD });
  assert.equal(refused.config, undefined);
  assert.match(refused.issues.map((i) => i.message).join('\n'), /unknown driver "filecloud"/);

  process.env.NODEPOOL_TEST_DRIVERS = '1';
  const { config, issues } = parseConfigText({ file: 'nodepool.yaml', text: FILECLOUD });
  assert.ok(config, JSON.stringify(issues));
  const p = config.providers.files;
  assert.ok(isCloudProvider(p) && hasCleanup(p) && takesImageUploads(p));
  assert.equal(p.driver, 'filecloud');
  const adapter = cloudAdapter(p);
  assert.ok(adapter instanceof FileCloud, 'the registry gives the driver its own adapter');
  assert.equal(adapter.stateDir, '/tmp/filecloud-state');
});
