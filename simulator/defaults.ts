// Fixed identities and defaults, chosen so a fresh simulator is usable at once: one project and
// user, the usual m1.* flavors, a public (external) and a private network, three AZs, delays.
import type { Credentials, Quotas, SimFlavor } from './types';

export const DEFAULT_CLOUD_NAME = 'simulator';
export const REGION = 'RegionOne';
export const DOMAIN = { id: 'default', name: 'Default' };

// Fixed ids keep the state file and logs readable across restarts.
export const PROJECT_ID = '8f7e6d5c4b3a49281706f5e4d3c2b1a0';
export const USER_ID = '0a1b2c3d4e5f46778899aabbccddeeff';
export const ROUTER_ID = '5e3c0b1a-7d2f-4c6e-9a8b-0f1e2d3c4b5a';

export const DEFAULT_CREDENTIALS: Credentials = {
  username: 'nodepool',
  password: 'nodepool-secret',
  projectName: 'nodepool',
  projectId: PROJECT_ID,
  userDomainName: 'Default',
  projectDomainName: 'Default',
  applicationCredentialId: '3b1fc8a0c5e04a7d9d2f6e1a8b7c6d5e',
  applicationCredentialSecret: 'simulator-app-cred-secret',
};

export const DEFAULT_QUOTAS: Quotas = {
  instances: 10,
  cores: 20,
  ram: 51200,
  volumes: 10,
  gigabytes: 1000,
  floatingIps: 50,
};

export const AVAILABILITY_ZONES = ['nova', 'az1', 'az2'];

export function defaultFlavors(): SimFlavor[] {
  const f = (id: string, name: string, ram: number, vcpus: number, disk: number): SimFlavor => ({
    id,
    name,
    ram,
    vcpus,
    disk,
    ephemeral: 0,
    swap: 0,
    isPublic: true,
  });
  return [
    f('1', 'm1.tiny', 512, 1, 1),
    f('2', 'm1.small', 2048, 1, 20),
    f('3', 'm1.medium', 4096, 2, 40),
    f('4', 'm1.large', 8192, 4, 80),
    f('5', 'm1.xlarge', 16384, 8, 160),
    f('8gb', 'nodepool-8gb', 8192, 2, 80),
  ];
}

// Sized for a site (thousands of servers at once). The public /20 keeps its gateway and pool in
// 203.0.113.x, where they were when it was a /24, so the first addresses handed out are unchanged.
export const DEFAULT_NETWORKS = [
  { name: 'public' as const, external: true, shared: false, cidr: '203.0.112.0/20', gatewayIp: '203.0.113.1', poolStart: '203.0.113.2' },
  { name: 'private' as const, external: false, shared: false, cidr: '10.0.0.0/16' },
];
export const DEFAULT_SERVER_NETWORK = 'private';
export const NOVA_MIN_VERSION = '2.1';
/** The highest microversion advertised; requests above it get 406, as from Nova. */
export const NOVA_MAX_VERSION = '2.95';
export const TOKEN_TTL_MS = 3600_000;
export const BOOT_DELAY_MS = 500;
export const DELETE_DELAY_MS = 200;
