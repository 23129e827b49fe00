// Every broken config must fail with one message line that names the file, the key path and the
// offending value (or, for a missing key, says it is required), at the right line:column.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorLines, fixture } from './helpers';

interface Case {
  file: string;
  /** Every string must appear in ONE error line (which also must name the file). */
  expect: string[];
  /** Exact line:col of that message, when we want to pin it. */
  at?: string;
}

const CASES: Case[] = [
  { file: 'unknown-top-key.yaml', expect: ['nothandled: ', '"element"', 'extra keys not allowed'], at: '9:1' },
  { file: 'static-cloud.yaml', expect: ['providers[0].cloud: ', '"no-cloud"', 'unknown key "cloud"'], at: '4:5' },
  { file: 'missing-top-label.yaml', expect: ['providers[0].pools[0].labels[1].name: ', '"trusty"', 'not defined in top-level labels'], at: '20:19' },
  {
    file: 'label-diskimage-unknown.yaml',
    expect: ['providers[0].pools[0].labels[1].diskimage: "fedora-40" is not defined in top-level diskimages'],
    at: '21:24',
  },
  { file: 'provider-diskimage-unknown.yaml', expect: ['providers[0].diskimages[1].name: ', '"wrong"', 'not defined in top-level diskimages'], at: '14:15' },
  { file: 'duplicate-diskimage.yaml', expect: ['diskimages[1].name: ', '"fedora-39"', 'already defined at diskimages[0]'], at: '9:11' },
  { file: 'duplicate-label.yaml', expect: ['labels[2].name: ', '"fedora-39"', 'already defined at labels[0]'], at: '6:11' },
  { file: 'duplicate-provider.yaml', expect: ['providers[1].name: ', '"cloud1"', 'already defined at providers[0]'], at: '20:11' },
  { file: 'duplicate-pool.yaml', expect: ['providers[0].pools[1].name: ', '"main"', 'already defined'], at: '20:15' },
  { file: 'pool-label-duplicate.yaml', expect: ['providers[0].pools[0].labels[1].name: ', '"fedora-39"', 'already defined'] },
  { file: 'cloud-image-duplicate.yaml', expect: ['providers[0].cloud-images[1].name: ', '"centos-cloud"', 'already defined'] },
  { file: 'missing-parent.yaml', expect: ['diskimages[1].parent: ', '"does-not-exist"', 'non-existent parent'], at: '10:13' },
  { file: 'parent-cycle.yaml', expect: ['diskimages[1].parent: ', '"loop-b"', 'cycle'] },
  { file: 'abstract-upload.yaml', expect: ['providers[0].diskimages[0].name: ', '"base-template"', 'abstract'], at: '15:15' },
  { file: 'both-images.yaml', expect: ['providers[0].pools[0].labels[0].cloud-image: ', '"fedora-cloud"', 'both diskimage and cloud-image'], at: '19:26' },
  { file: 'no-image.yaml', expect: ['providers[0].pools[0].labels[0]: ', '"centos-9"', 'needs one of diskimage or cloud-image'], at: '17:13' },
  { file: 'no-flavor.yaml', expect: ['providers[0].pools[0].labels[0]: ', '"centos-9"', 'min-ram or flavor-name'] },
  { file: 'image-id-and-name.yaml', expect: ['providers[0].cloud-images[0].image-name: ', '"CentOS-9-Stream"', 'mutually exclusive'] },
  { file: 'cloud-image-unknown.yaml', expect: ['providers[0].pools[0].labels[0].cloud-image: ', '"centos-9-stream"', "not defined in this provider's cloud-images"] },
  { file: 'bad-int.yaml', expect: ['providers[0].boot-timeout: ', 'expected an integer', '"soon"'], at: '12:19' },
  { file: 'bad-bool.yaml', expect: ['providers[0].pools[0].auto-floating-ip: ', 'boolean', '"maybe"'] },
  { file: 'unknown-driver.yaml', expect: ['providers[0].driver: ', 'unknown driver "vmware"'], at: '3:13' },
  { file: 'no-diskimage-name.yaml', expect: ['diskimages[1].name: ', 'required key not provided'] },
  { file: 'openstack-no-cloud.yaml', expect: ['providers[0].cloud: ', 'required key not provided'] },
  { file: 'zk-port-string.yaml', expect: ['zookeeper-servers[0].port: ', '"twenty"'], at: '3:11' },
  { file: 'zk-tls-missing-ca.yaml', expect: ['zookeeper-tls.ca: ', 'required key not provided'] },
  { file: 'pool-key-typo.yaml', expect: ['providers[0].pools[0].max-server: ', 'unknown key "max-server"', 'value 10'], at: '16:9' },
  { file: 'static-node-no-labels.yaml', expect: ['providers[0].pools[0].nodes[0].labels: ', 'required key not provided'] },
  { file: 'static-label-unknown.yaml', expect: ['providers[0].pools[0].nodes[0].labels: ', '"fedora-rawhide"', 'not defined in top-level labels'] },
  { file: 'static-host-key-type.yaml', expect: ['providers[0].pools[0].nodes[0].host-key: ', 'a string or a list', 'got 5'] },
  { file: 'unrun-bad-common.yaml', expect: ['providers[0].max-concurrency: ', '"lots"'], at: '4:22' },
  { file: 'tenant-limit-type.yaml', expect: ['tenant-resource-limits[0].max-cores: ', '"many"'] },
  { file: 'min-ready-string.yaml', expect: ['labels[0].min-ready: ', '"two"'], at: '3:16' },
  { file: 'webapp-port-string.yaml', expect: ['webapp.port: ', '"eighty"'] },
  { file: 'rate-string.yaml', expect: ['providers[0].rate: ', '"fast"'] },
  { file: 'release-list.yaml', expect: ['diskimages[0].release: ', 'a string or a number', 'a list of 2 items'] },
  { file: 'hostname-format-type.yaml', expect: ['providers[0].hostname-format: ', 'a list of 1 item'] },
  // Through a merge key: the value lives at the anchor, and that is where we point.
  { file: 'anchor-merge-error.yaml', expect: ['providers[0].pools[1].max-servers: ', '"lots"'], at: '9:22' },
  { file: 'top-level-list.yaml', expect: ['must be a mapping', 'a list of 2 items'], at: '1:1' },
  { file: 'yaml-syntax.yaml', expect: ['YAML syntax error'], at: '5:1' },
  // Secret-bearing keys: the path is named, the value is not.
  { file: 'env-var-int.yaml', expect: ['diskimages[0].env-vars.REG_PASSWORD: ', 'got [redacted]'], at: '5:21' },
  { file: 'static-secret-userdata.yaml', expect: ['providers[0].pools[0].labels[0].userdata: ', 'got [redacted]'] },
];

void test('there are at least 25 broken configs', () => {
  assert.ok(CASES.length >= 25, `only ${CASES.length} cases`);
});

for (const c of CASES) {
  void test(`broken config ${c.file} is rejected with file, key path and value`, async () => {
    const path = fixture('broken', c.file);
    const lines = await errorLines(path);
    assert.ok(lines.length > 0, `${c.file} was accepted`);
    const match = lines.find((l) => c.expect.every((e) => l.includes(e)));
    assert.ok(match, `no line of\n${lines.join('\n')}\ncontains all of ${JSON.stringify(c.expect)}`);
    assert.ok(match.startsWith(`${path}:`), `line does not start with the file name: ${match}`);
    if (c.at) assert.ok(match.startsWith(`${path}:${c.at}: `), `expected position ${c.at} in: ${match}`);
  });
}

void test('the brief example message has exactly the documented shape', async () => {
  const path = fixture('broken', 'label-diskimage-unknown.yaml');
  const lines = await errorLines(path);
  assert.deepEqual(lines, [`${path}:21:24: providers[0].pools[0].labels[1].diskimage: "fedora-40" is not defined in top-level diskimages`]);
});

void test('env-var values are never shown, even when they are the offending value', async () => {
  const lines = await errorLines(fixture('broken', 'env-var-int.yaml'));
  assert.equal(lines.length, 2);
  for (const l of lines) assert.doesNotMatch(l, /31415926|: 1\b|got 1/);
});
