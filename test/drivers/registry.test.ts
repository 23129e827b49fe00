// The driver registry: what each provider of a real config can do here, asked by capability.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../lib/config';
import { capabilities, hasCleanup, isCloudProvider, launchesNodes, takesImageUploads } from '../../drivers/registry';
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
