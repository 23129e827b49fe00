// What a fresh simulator holds (the shape of the persisted state and its initial value): the
// default networks with their DHCP and router ports, flavors, quotas and delays.
import crypto from 'node:crypto';
import {
  BOOT_DELAY_MS,
  DEFAULT_NETWORKS,
  DEFAULT_QUOTAS,
  DELETE_DELAY_MS,
  PROJECT_ID,
  ROUTER_ID,
  defaultFlavors,
} from './defaults';
import { ipToInt, parseCidr, subnetPlan } from './ipam';
import type { Quotas, Resources, SimNetwork, SimPort, SimulatorOptions } from './types';

export interface TokenRecord {
  userId: string;
  username: string;
  projectId: string;
  projectName: string;
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  /** false = unscoped (no catalog, no project; services refuse it). */
  scoped: boolean;
}

export interface User {
  id: string;
  name: string;
  password: string;
  projectId: string;
  projectName: string;
}

/** The part of the state that survives a restart when a state file is given. */
export interface Persisted extends Resources {
  version: 1;
  quotas: Quotas;
  bootDelayMs: number;
  deleteDelayMs: number;
  /** How long an attached floating IP stays DOWN before ACTIVE (absent in old state files: 0). */
  floatingIpDelayMs?: number;
  tokens: Record<string, TokenRecord>;
  /** Per network id, the last address handed out, as an offset from the network address. */
  ipCounters: Record<string, number>;
  macCounter: number;
  /** id -> created of servers that are gone: Nova still accepts them as pagination markers. */
  goneServers: Record<string, string>;
}

export const nowIso = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const uuid = (): string => crypto.randomUUID();
export const hexId = (): string => crypto.randomUUID().replace(/-/g, '');

export function freshData(opts: SimulatorOptions): Persisted {
  const created = nowIso();
  const networks: SimNetwork[] = DEFAULT_NETWORKS.map((n) => {
    const cidr = opts.cidrs?.[n.name];
    return {
      id: uuid(),
      name: n.name,
      external: n.external,
      shared: n.shared,
      subnetId: uuid(),
      ...(cidr ? subnetPlan(cidr) : subnetPlan(n.cidr, n.gatewayIp, n.poolStart)),
      project_id: PROJECT_ID,
      created_at: created,
    };
  });
  // Every real project network has a DHCP port and a router interface: port cleanup must leave them alone.
  const ports: SimPort[] = networks
    .filter((n) => !n.external)
    .flatMap((n) =>
      (
        [
          ['network:router_interface', ROUTER_ID, n.gatewayIp],
          ['network:dhcp', `dhcp${hexId()}-${n.id}`, n.allocationPool.start],
        ] as const
      ).map(([owner, device, ip], i) => ({
        id: uuid(),
        name: '',
        network_id: n.id,
        project_id: PROJECT_ID,
        mac_address: `fa:16:3e:ff:00:0${i}`,
        admin_state_up: true,
        status: 'ACTIVE' as const,
        device_id: device,
        device_owner: owner,
        fixed_ips: [{ subnet_id: n.subnetId, ip_address: ip }],
        created_at: created,
        updated_at: created,
      })),
    );
  return {
    version: 1,
    servers: [],
    images: [],
    ports,
    floatingIps: [],
    volumes: [],
    networks,
    flavors: defaultFlavors(),
    quotas: { ...DEFAULT_QUOTAS, ...opts.quotas },
    bootDelayMs: opts.bootDelayMs ?? BOOT_DELAY_MS,
    deleteDelayMs: opts.deleteDelayMs ?? DELETE_DELAY_MS,
    tokens: {},
    // The pool's first address counts as handed out: the DHCP port holds it on private, the
    // router's gateway on public. Servers and floating IPs start at the second (x.x.x.3).
    ipCounters: Object.fromEntries(networks.map((n) => [n.id, ipToInt(n.allocationPool.start) - parseCidr(n.cidr).base])),
    macCounter: 0,
    goneServers: {},
  };
}

/** Networks from a state file of the /24 days (`cidrPrefix: '10.0.0'`) get their subnet plan. */
export function upgradeNetworks(networks: (SimNetwork & { cidrPrefix?: string })[]): SimNetwork[] {
  return networks.map(({ cidrPrefix, ...n }) => (n.cidr || !cidrPrefix ? n : { ...n, ...subnetPlan(`${cidrPrefix}.0/24`) }));
}
