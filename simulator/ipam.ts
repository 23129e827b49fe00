// IPv4 address management for one subnet, as Neutron's IPAM does it: a CIDR with its gateway and
// allocation pool, and an allocator that hands out an address in O(1) however large the pool is
// (a site has thousands of servers; scanning a /16 per create would not do).

export interface SubnetPlan {
  cidr: string;
  gatewayIp: string;
  /** One pool, inclusive at both ends. */
  allocationPool: { start: string; end: string };
}

export const ipToInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function checkIp(ip: string, what: string): number {
  const m = DOTTED.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`${what}: ${ip} is not an IPv4 address`);
  return ipToInt(ip);
}

/** Network address and size of `a.b.c.d/n`; the address must be the network's first. */
export function parseCidr(cidr: string): { base: number; size: number; prefix: number } {
  const [ip = '', len = ''] = cidr.split('/');
  const prefix = Number(len);
  if (!/^\d+$/.test(len) || prefix < 8 || prefix > 30) throw new Error(`${cidr}: the prefix length must be 8-30`);
  const base = checkIp(ip, cidr);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`${cidr}: not a network address (host bits set)`);
  return { base, size, prefix };
}

/** The dotted netmask of a CIDR, for the console's `ci-info` line. */
export function netmask(cidr: string): string {
  return intToIp(2 ** 32 - parseCidr(cidr).size);
}

/**
 * Neutron's layout for a CIDR: the gateway is the first host and the pool is the rest, broadcast
 * excluded. `gatewayIp`/`poolStart` move them, as an operator's subnet-create can.
 */
export function subnetPlan(cidr: string, gatewayIp?: string, poolStart?: string): SubnetPlan {
  const { base, size } = parseCidr(cidr);
  const gateway = gatewayIp === undefined ? base + 1 : checkIp(gatewayIp, 'gateway');
  const start = poolStart === undefined ? gateway + 1 : checkIp(poolStart, 'pool start');
  const end = base + size - 2;
  if (gateway <= base || gateway > end || start <= base || start > end) throw new Error(`${cidr}: gateway or pool outside the network`);
  return { cidr, gatewayIp: intToIp(gateway), allocationPool: { start: intToIp(start), end: intToIp(end) } };
}

/**
 * Hands out pool addresses: first each address in order from a cursor (the last one handed out),
 * then, once the cursor has reached the pool's end, the released ones, oldest release first.
 * An address is thus not reused while fresh ones are left, as a wrapping counter behaves.
 */
export class IpAllocator {
  private readonly used = new Set<number>();
  private readonly released = new Set<number>();
  private readonly first: number;
  private readonly last: number;

  /** `cursor`: last address handed out; `inUse`: every address held now (ports, floating IPs). */
  constructor(pool: SubnetPlan['allocationPool'], private cursorAt: number, inUse: Iterable<string>) {
    this.first = ipToInt(pool.start);
    this.last = ipToInt(pool.end);
    for (const ip of inUse) this.used.add(ipToInt(ip));
    // What the cursor has passed and nobody holds was released before a restart.
    for (let n = this.first; n <= Math.min(this.cursorAt, this.last); n++) if (!this.used.has(n)) this.released.add(n);
  }

  get cursor(): number {
    return this.cursorAt;
  }

  /** A free address, or null when the pool is exhausted. */
  take(): string | null {
    while (this.cursorAt < this.last) {
      const n = Math.max(++this.cursorAt, this.first);
      this.cursorAt = n;
      if (!this.used.has(n)) return this.hold(n);
    }
    for (const n of this.released) {
      this.released.delete(n);
      return this.hold(n);
    }
    return null;
  }

  release(ip: string): void {
    const n = ipToInt(ip);
    if (!this.used.delete(n)) return;
    if (n >= this.first && n <= this.last && n <= this.cursorAt) this.released.add(n);
  }

  private hold(n: number): string {
    this.used.add(n);
    return intToIp(n);
  }
}
