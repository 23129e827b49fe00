// Pure parts of the OpenStack provider: error classification, the rate-limit bucket, address
// extraction, Nodepool's flavor rule and server metadata.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ApplicationFailure } from '@temporalio/common';
import { CloudTimeoutError, FatalCloudError, NotFoundError, QuotaExceededError, RetryableCloudError } from '../../drivers/errors';
import { serverAddresses } from '../../drivers/openstack/adapter/addresses';
import { errorMessage, httpError, parseRetryAfter, transportError } from '../../drivers/openstack/adapter/errors';
import { selectFlavor } from '../../drivers/openstack/adapter/flavors';
import { nodepoolMetadata, serverName } from '../../drivers/metadata';
import { TokenBucket } from '../../drivers/openstack/adapter/rate-limit';

const d = { method: 'GET', url: 'http://c/servers' };

void describe('HTTP error classification', () => {
  void it('429, 5xx, 409, 408 are retryable; 501 is not', () => {
    for (const s of [429, 500, 502, 503, 504, 409, 408]) {
      const e = httpError(s, '', d);
      assert.ok(e instanceof RetryableCloudError, `${s}`);
      assert.equal(e.kind, 'retryable');
      assert.equal(e.nonRetryable, false);
      assert.equal(e.status, s);
    }
    assert.equal(httpError(501, '', d).kind, 'fatal');
  });

  void it('403/413 with "quota exceeded" are quota; without, fatal', () => {
    const nova = { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances' } };
    const q = httpError(403, nova, d);
    assert.ok(q instanceof QuotaExceededError);
    assert.equal(q.kind, 'quota');
    assert.equal(q.nonRetryable, true);
    assert.match(q.message, /Quota exceeded for instances/);
    assert.equal(httpError(413, { overLimit: { message: 'Quota exceeded for cores' } }, d).kind, 'quota');
    assert.equal(httpError(409, { NeutronError: { message: 'Number of ports exceeded' } }, d).kind, 'quota');
    assert.equal(httpError(403, { forbidden: { message: 'Policy does not allow compute:create' } }, d).kind, 'fatal');
    assert.equal(httpError(413, 'Request Entity Too Large', d).kind, 'fatal');
    assert.equal(httpError(413, { overLimit: { message: 'rate' } }, { ...d, retryAfter: 3 }).kind, 'retryable');
  });

  void it('404 is notFound, 400/401/403 fatal', () => {
    assert.ok(httpError(404, { itemNotFound: { message: 'Instance x could not be found.' } }, d) instanceof NotFoundError);
    for (const s of [400, 401, 403, 415, 422]) assert.ok(httpError(s, '', d) instanceof FatalCloudError, `${s}`);
  });

  void it('reads every service error body: Nova, Neutron, Keystone, Glance plain text, HTML, pkgcloud {err}', () => {
    assert.equal(errorMessage({ badRequest: { code: 400, message: 'Invalid flavorRef' } }), 'Invalid flavorRef');
    assert.equal(errorMessage({ NeutronError: { type: 'PortNotFound', message: 'Port p could not be found.', detail: '' } }), 'Port p could not be found.');
    assert.equal(errorMessage({ error: { code: 401, message: 'The request you have made requires authentication.' } }), 'The request you have made requires authentication.');
    assert.equal(errorMessage('404 Not Found\n\nNo image found with ID x\n\n   '), '404 Not Found No image found with ID x');
    assert.equal(errorMessage('<html><body><h1>502 Bad Gateway</h1></body></html>'), '502 Bad Gateway');
    assert.equal(errorMessage({ err: 'plain text' }), 'plain text');
    assert.equal(errorMessage('{"itemNotFound":{"message":"gone"}}'), 'gone');
  });

  void it('transport errors: timeouts and resets are retryable, others fatal', () => {
    assert.ok(transportError(Object.assign(new Error('x'), { code: 'ESOCKETTIMEDOUT' }), d) instanceof CloudTimeoutError);
    assert.ok(transportError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), d) instanceof CloudTimeoutError);
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE']) assert.equal(transportError(Object.assign(new Error('x'), { code }), d).kind, 'retryable');
    assert.equal(transportError(new Error('socket hang up'), d).kind, 'retryable');
    assert.equal(transportError(Object.assign(new Error('bad cert'), { code: 'CERT_HAS_EXPIRED' }), d).kind, 'fatal');
  });

  void it('Retry-After in seconds or as a date', () => {
    assert.equal(parseRetryAfter('7'), 7);
    assert.equal(parseRetryAfter(undefined), undefined);
    const s = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString()) ?? -1;
    assert.ok(s > 8 && s <= 10, String(s));
  });
});

void describe('TokenBucket (provider rate)', () => {
  void it('spaces calls by the interval, in order', async () => {
    const b = new TokenBucket(40);
    const t0 = performance.now();
    const times: number[] = [];
    await Promise.all([0, 1, 2, 3].map(async (i) => {
      await b.take();
      times[i] = performance.now() - t0;
    }));
    assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 30, `the second waits for the interval (${times[0]}, ${times[1]})`);
    for (let i = 1; i < 4; i++) assert.ok((times[i] ?? 0) >= (times[i - 1] ?? 0), 'served in order');
    assert.ok((times[3] ?? 0) >= 110, `4 calls at 40 ms spacing take >= 120 ms (${times[3]})`);
  });

  void it('rate 0 means unlimited', async () => {
    const b = new TokenBucket(0);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) await b.take();
    assert.ok(performance.now() - t0 < 1000, 'no waiting at all (100 calls would take 4 s at 40 ms)');
  });
});

void describe('server addresses', () => {
  const addresses = {
    private: [
      { version: 4, addr: '10.0.0.5', 'OS-EXT-IPS:type': 'fixed' },
      { version: 4, addr: '203.0.113.9', 'OS-EXT-IPS:type': 'floating' },
      { version: 6, addr: 'fe80::1', 'OS-EXT-IPS:type': 'fixed' },
      { version: 6, addr: '2001:db8::5', 'OS-EXT-IPS:type': 'fixed' },
    ],
  };

  void it('floating v4 is public, fixed v4 on an internal network private, global v6 public', () => {
    const a = serverAddresses(addresses, { externalNetworks: new Set(['public']) });
    assert.deepEqual(a, { publicV4: '203.0.113.9', privateV4: '10.0.0.5', publicV6: '2001:db8::5', interfaceIp: '203.0.113.9' });
  });

  void it('a fixed IP on a router:external network is public; private_v4 falls back to public_v4', () => {
    const a = serverAddresses({ public: [{ version: 4, addr: '198.51.100.7', 'OS-EXT-IPS:type': 'fixed' }] }, { externalNetworks: new Set(['public']) });
    assert.equal(a.publicV4, '198.51.100.7');
    assert.equal(a.privateV4, '198.51.100.7');
    assert.equal(a.interfaceIp, '198.51.100.7');
  });

  void it('only a private address: no interface_ip unless the cloud is private: true', () => {
    const only = { private: [{ version: 4, addr: '10.0.0.8', 'OS-EXT-IPS:type': 'fixed' }] };
    assert.equal(serverAddresses(only).interfaceIp, undefined);
    assert.equal(serverAddresses(only, { preferPrivate: true }).interfaceIp, '10.0.0.8');
  });

  void it('without network info, RFC 1918 decides; IPv6 can be preferred', () => {
    const a = serverAddresses({ net: [{ version: 4, addr: '8.8.4.4' }, { version: 4, addr: '192.168.1.2' }, { version: 6, addr: '2001:db8::1' }] }, { preferIpv6: true });
    assert.equal(a.publicV4, '8.8.4.4');
    assert.equal(a.privateV4, '192.168.1.2');
    assert.equal(a.interfaceIp, '2001:db8::1');
  });
});

void describe('flavor selection (spec §1.10)', () => {
  const flavors = [
    { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1 },
    { id: '4', name: 'm1.large', ram: 8192, vcpus: 4, disk: 80 },
    { id: '8gb', name: 'nodepool-8gb', ram: 8192, vcpus: 2, disk: 80 },
    { id: '3', name: 'm1.medium', ram: 4096, vcpus: 2, disk: 40 },
  ];

  void it('min-ram: smallest by (ram, name)', () => {
    assert.equal(selectFlavor(flavors, { minRam: 1024 })?.name, 'm1.medium');
    assert.equal(selectFlavor(flavors, { minRam: 8000 })?.name, 'm1.large', 'ties broken by name');
    assert.equal(selectFlavor(flavors, { minRam: 99999 }), undefined);
  });

  void it('min-ram with flavor-name: the name must contain it', () => {
    assert.equal(selectFlavor(flavors, { minRam: 1024, flavorName: 'nodepool' })?.id, '8gb');
  });

  void it('flavor-name alone: exact name or id', () => {
    assert.equal(selectFlavor(flavors, { flavorName: 'm1.tiny' })?.id, '1');
    assert.equal(selectFlavor(flavors, { flavorName: '8gb' })?.name, 'nodepool-8gb');
    assert.equal(selectFlavor(flavors, { flavorName: 'm1' }), undefined, 'no substring match without min-ram');
  });
});

void describe('server name and metadata', () => {
  void it('np<node id>; 2024 keys plus 2019 compat keys; Nodepool keys win over instance-properties', () => {
    assert.equal(serverName('0000000042'), 'np0000000042');
    const m = nodepoolMetadata('sim', {
      nodeId: '0000000042',
      poolName: 'main',
      label: 'ubuntu-jammy',
      imageName: 'ubuntu-jammy',
      image: { uploadExternalId: 'x' },
      flavor: { minRam: 1 },
      instanceProperties: { foo: 'bar', nodepool_node_id: 'spoof' },
    });
    assert.deepEqual(m, {
      foo: 'bar',
      groups: 'sim,ubuntu-jammy,ubuntu-jammy',
      nodepool_node_id: '0000000042',
      nodepool_pool_name: 'main',
      nodepool_provider_name: 'sim',
      nodepool_image_name: 'ubuntu-jammy',
      nodepool_node_label: 'ubuntu-jammy',
    });
  });
});

void describe('Temporal mapping', () => {
  void it('retryable stays retryable (with Retry-After as the next delay); quota/notFound/fatal are non-retryable by type', async () => {
    const { toApplicationFailure } = await import('../../activities/cloud/failure');
    const r = toApplicationFailure(httpError(429, '', { ...d, retryAfter: 4 })) as ApplicationFailure;
    assert.equal(r.type, 'RetryableCloudError');
    assert.equal(r.nonRetryable, false);
    assert.equal(r.nextRetryDelay, '4s');
    const q = toApplicationFailure(httpError(403, { forbidden: { message: 'Quota exceeded for cores' } }, d)) as ApplicationFailure;
    assert.equal(q.type, 'QuotaExceededError');
    assert.equal(q.nonRetryable, true);
    assert.deepEqual(q.details, [{ kind: 'quota', status: 403, code: null }]);
    assert.equal((toApplicationFailure(httpError(404, '', d)) as ApplicationFailure).type, 'NotFoundError');
    const plain = new Error('x');
    assert.equal(toApplicationFailure(plain), plain);
  });
});
