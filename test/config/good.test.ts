// Real-world-shaped configs of both eras load unchanged, with Nodepool's defaults applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, type CloudProviderConfig, type StaticProvider, unsupportedProviderMessage, unsupportedProviders } from '../../lib/config';
import { errorLines, fixture, issueLines } from './helpers';

const load = (name: string, env: Record<string, string> = {}) => loadConfig(fixture('good', name), undefined, { env });

function openstack(p: unknown): CloudProviderConfig {
  assert.equal((p as CloudProviderConfig).driver, 'openstack');
  return p as CloudProviderConfig;
}

void test('full 2024 config: top level, ZooKeeper (TLS → default port 2281), tenant limits', async () => {
  const { config, warnings } = await load('full-2024.yaml');
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.webapp, { port: 8006, listenAddress: '127.0.0.1' });
  assert.deepEqual(config.zookeeperServers, [
    { host: 'zk01.example.org', port: 2281, chroot: '' },
    { host: 'zk02.example.org', port: 2282, chroot: '/nodepool' },
    { host: '2001:db8::10', port: 2281, chroot: '' },
  ]);
  assert.equal(config.zookeeperHosts, 'zk01.example.org:2281,zk02.example.org:2282/nodepool,[2001:db8::10]:2281');
  assert.deepEqual(config.zookeeperTls, { cert: '/etc/nodepool/certs/client.pem', key: '/etc/nodepool/keys/client.key', ca: '/etc/nodepool/certs/cacert.pem' });
  assert.equal(config.zookeeperTimeout, 30);
  assert.equal(config.buildLogRetention, 14);
  assert.equal(config.maxHoldAge, 86400);
  assert.equal(config.elementsDir, '/etc/nodepool/elements');
  assert.deepEqual(config.tenantResourceLimits, {
    openstack: { cores: 1500, instances: 200, ram: 4000000 },
    small: { cores: null, instances: 10, ram: null, 'volume-gb': 500, 'L-43DA4232': 448 },
  });
});

void test('full 2024 config: OpenStack provider with every key and its pools', async () => {
  const { config } = await load('full-2024.yaml');
  const rax = openstack(config.providers['rax-dfw']);
  assert.equal(rax.cloud, 'rax');
  assert.equal(rax.regionName, 'DFW');
  assert.equal(rax.rate, 0.5);
  assert.equal(rax.launchRetries, 5);
  assert.equal(rax.imageNameFormat, 'np-{image_name}-{upload_id}');
  assert.equal(rax.cleanFloatingIps, true);
  assert.equal(rax.portCleanupInterval, 0);
  assert.equal(rax.maxConcurrency, 20);
  assert.equal(rax.hostnameFormat, null);
  assert.deepEqual(rax.diskimages['fedora-40'], {
    name: 'fedora-40',
    pause: true,
    configDrive: true,
    connectionType: 'winrm',
    connectionPort: 5986,
    meta: {},
    username: 'fedora',
    pythonPath: '/usr/bin/python3',
    shellType: 'bash',
  });
  assert.equal(rax.cloudImages['centos-9-stream']?.externalName, 'CentOS Stream 9');
  assert.equal(rax.cloudImages['centos-by-id']?.externalName, '8b8f5d3c-0000-4000-8000-000000000001');
  assert.equal(rax.cloudImages['centos-by-id']?.username, null);

  const main = rax.pools.main;
  assert.ok(main);
  assert.equal(main.priority, 50, 'pool inherits the provider priority');
  assert.deepEqual(main.availabilityZones, ['az1', 'az2']);
  assert.deepEqual(main.supportedLabels, ['ubuntu-noble', 'centos-9-stream']);
  const label = main.labels['ubuntu-noble'];
  assert.ok(label);
  assert.deepEqual(label.networks, ['private'], 'label networks replace the pool list');
  assert.equal(label.hostKeyChecking, false);
  assert.equal(label.volumeSize, 80);
  assert.equal(label.dynamicInstanceProperties.tenant, 'Tenant is {request.tenant_name}');
  assert.deepEqual(main.labels['centos-9-stream']?.networks, ['public'], 'label falls back to pool networks');
  assert.equal(rax.pools.big?.priority, 10);
  assert.equal(rax.pools.big?.maxServers, 0, 'an explicit 0 is kept (it disables the pool)');
});

void test('OpenStack defaults are Nodepool code defaults', async () => {
  const { config } = await load('full-2024.yaml');
  const ovh = openstack(config.providers['ovh-gra1']);
  assert.equal(ovh.bootTimeout, 60);
  assert.equal(ovh.launchTimeout, 3600);
  assert.equal(ovh.launchRetries, 3);
  assert.equal(ovh.rate, 1.0);
  assert.equal(ovh.imageUploadTimeout, 3600);
  assert.equal(ovh.imageNameFormat, '{image_name}-{timestamp}');
  assert.equal(ovh.cleanFloatingIps, false, 'code default: unset means off');
  assert.equal(ovh.portCleanupInterval, 600);
  assert.equal(ovh.maxConcurrency, -1);
  assert.equal(ovh.priority, null);
  const pool = ovh.pools.main;
  assert.ok(pool);
  assert.equal(pool.maxServers, null);
  assert.equal(pool.priority, 100);
  assert.equal(pool.autoFloatingIp, true);
  assert.equal(pool.hostKeyChecking, true);
  assert.equal(pool.availabilityZones, null);
  const l = pool.labels['ubuntu-noble'];
  assert.ok(l);
  assert.equal(l.minRam, 0);
  assert.equal(l.volumeSize, 50);
  assert.equal(l.consoleLog, false);
  assert.equal(ovh.diskimages['ubuntu-noble']?.connectionPort, 22);
});

void test('labels list their pools; unsupported drivers are flagged and not pooled', async () => {
  const { config } = await load('full-2024.yaml');
  assert.deepEqual(config.labels['ubuntu-noble']?.pools, [
    { provider: 'rax-dfw', pool: 'main' },
    { provider: 'ovh-gra1', pool: 'main' },
  ]);
  assert.equal(config.labels['ubuntu-noble']?.minReady, 2);
  assert.deepEqual(config.labels['pod-python']?.pools, []);
  assert.deepEqual(
    unsupportedProviders(config).map((p) => [p.name, p.driver]),
    [
      ['k8s', 'kubernetes'],
      ['ec2-us-east-2', 'aws'],
    ],
  );
  const k8s = config.providers.k8s;
  assert.ok(k8s && !k8s.supported);
  assert.equal(k8s.maxConcurrency, 5);
  assert.equal(k8s.raw.context, 'admin-cluster.local');
});

void test('full 2024 config: static provider node defaults and values', async () => {
  const { config } = await load('full-2024.yaml');
  const rack = config.providers['arm-rack'] as StaticProvider;
  assert.equal(rack.driver, 'static');
  assert.deepEqual(rack.pools.main?.nodes[0], {
    name: 'arm01.example.org',
    labels: ['rack-arm64'],
    hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample'],
    hostKeyChecking: false,
    timeout: 13,
    connectionPort: 2222,
    connectionType: 'ssh',
    shellType: 'bash',
    username: 'ci',
    maxParallelJobs: 2,
    pythonPath: '/usr/bin/python3',
  });
  assert.equal(rack.pools.main?.priority, 200);
});

void test('2019 config: hostname-format, no TLS (default port 2181), nodepool-id warned, ssh-port', async () => {
  const { config, warnings } = await load('legacy-2019.yaml');
  assert.deepEqual(config.zookeeperServers, [{ host: 'zk.openstack.org', port: 2181, chroot: '/nodepool' }]);
  assert.equal(config.zookeeperTls, null);
  assert.equal(config.webapp.listenAddress, '0.0.0.0');
  const inap = openstack(config.providers['inap-mtl01']);
  assert.equal(inap.hostnameFormat, '{label.name}-{provider.name}-{node.id}');
  assert.equal(inap.rate, 0.01);
  assert.equal(inap.cleanFloatingIps, true);
  assert.equal(config.labels['ubuntu-xenial']?.minReady, -1);
  assert.equal(config.diskimages['ubuntu-xenial']?.pause, true);
  assert.equal(config.diskimages['ubuntu-bionic']?.formats.length, 0);
  const legacy = config.providers['static-legacy'] as StaticProvider;
  assert.equal(legacy.pools.main?.nodes[0]?.connectionPort, 2022);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]?.message ?? '', /nodepool-id is deprecated/);
  assert.deepEqual(warnings[0]?.path, ['providers', 0, 'nodepool-id']);
});

void test("the docs' example loads (with a warning for the label whose image is not uploaded there)", async () => {
  const { config, warnings } = await load('docs-example.yaml');
  assert.deepEqual(Object.keys(config.providers), ['provider1', 'provider2', 'static-rack']);
  assert.deepEqual(config.diskimages.precise?.providers, ['provider1', 'provider2']);
  assert.deepEqual(openstack(config.providers.provider1).diskimages.trusty?.meta, { key: 'value', key2: 'value' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]?.message ?? '', /"trusty" is not listed in providers\[1\]\.diskimages/);
});

void test('anchors, aliases and merge keys resolve like PyYAML', async () => {
  const { config } = await load('anchors.yaml');
  assert.deepEqual(config.diskimages['debian-big']?.elements, ['debian-minimal', 'vm']);
  const a = openstack(config.providers['cloud-a']);
  const b = openstack(config.providers['cloud-b']);
  assert.equal(a.pools.main?.maxServers, 10);
  assert.equal(b.pools.main?.maxServers, 20, 'own key wins over the merged one');
  assert.deepEqual(b.pools.main?.networks, ['public']);
  assert.equal(b.pools.main?.autoFloatingIp, false);
  assert.deepEqual(b.pools.main?.supportedLabels, ['small', 'large']);
  assert.deepEqual(Object.keys(b.diskimages), ['debian']);
});

void test('%(NODEPOOL_X) substitution: only NODEPOOL_ variables, before parsing (port becomes an int)', async () => {
  const env = { NODEPOOL_PORT: '8005', NODEPOOL_ZK_HOST: 'zk.example.net', NODEPOOL_CLOUD: 'mycloud', HOME: '/root' };
  const { config } = await load('substitution.yaml', env);
  assert.equal(config.webapp.port, 8005);
  assert.equal(typeof config.webapp.port, 'number');
  assert.equal(config.zookeeperServers[0]?.host, 'zk.example.net');
  const cloud = openstack(config.providers.cloud);
  assert.equal(cloud.cloud, 'mycloud');
  assert.equal(cloud.pools.main?.labels.fedora?.userdata, 'echo %(HOME) %(NODEPOOL_UNSET)');
});

void test('without the variable, %(NODEPOOL_PORT) is left as is and the YAML fails like Nodepool', async () => {
  const lines = await errorLines(fixture('good', 'substitution.yaml'));
  assert.ok(lines.some((l) => l.includes('YAML syntax error')), lines.join('\n'));
});

void test('every driver we do not implement loads (checked, not run)', async () => {
  const { config, warnings } = await load('unrun-drivers.yaml');
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    Object.values(config.providers).map((p) => [p.name, p.driver, p.supported]),
    [
      ['kube', 'kubernetes', false],
      ['ocp', 'openshift', false],
      ['ocp-pods', 'openshiftpods', false],
      ['ec2', 'aws', false],
      ['azure', 'azure', false],
      ['gce', 'gce', false],
      ['ibm', 'ibmvpc', false],
      ['meta', 'metastatic', false],
    ],
  );
});

void test('static provider: label string split on spaces, host-key list, winrm keeps port 22 (code default)', async () => {
  const { config } = await load('static.yaml');
  const rack = config.providers['static-rack'] as StaticProvider;
  const pool = rack.pools.main;
  assert.ok(pool);
  assert.equal(pool.maxServers, 3);
  assert.deepEqual(pool.nodeAttributes, { rack: 'r1' });
  assert.deepEqual(pool.supportedLabels, ['trusty-static', 'winrm', 'winssh', 'multi-a', 'multi-b']);
  const [trusty, win, winssh, multi] = pool.nodes;
  assert.equal(trusty?.timeout, 13);
  assert.equal(win?.connectionType, 'winrm');
  assert.equal(win?.connectionPort, 22);
  assert.equal(win?.timeout, 5);
  assert.equal(win?.maxParallelJobs, 1);
  assert.equal(win?.pythonPath, 'auto');
  assert.deepEqual(winssh?.hostKeys, ['ssh-rsa AAAA1', 'ssh-ed25519 AAAA2']);
  assert.equal(winssh?.shellType, 'cmd');
  assert.deepEqual(multi?.labels, ['multi-a', 'multi-b']);
  assert.equal(multi?.hostKeyChecking, false);
  assert.deepEqual(config.labels['multi-b']?.pools, [{ provider: 'static-rack', pool: 'main' }]);
});

void test('the good fixtures have no errors at all', async () => {
  for (const f of ['full-2024.yaml', 'legacy-2019.yaml', 'docs-example.yaml', 'anchors.yaml', 'unrun-drivers.yaml', 'static.yaml', 'inheritance.yaml']) {
    assert.deepEqual(await errorLines(fixture('good', f)), [], f);
  }
  assert.equal((await issueLines(fixture('good', 'full-2024.yaml'))).length, 0);
});

void test('the launcher log line for a skipped provider', async () => {
  const { config } = await load('unrun-drivers.yaml');
  const [first] = unsupportedProviders(config);
  assert.ok(first);
  assert.equal(unsupportedProviderMessage(first), 'driver kubernetes not supported: provider kube is not served and its pools (main) are not registered');
});
