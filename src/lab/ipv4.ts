// IPv4 arithmetic for the lab network: addresses as unsigned 32-bit numbers.

export function toInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export interface Subnet {
  cidr: string;
  /** Network address as an integer. */
  base: number;
  prefix: number;
  size: number;
  netmask: string;
  network: string;
  broadcast: string;
}

/** Parses "a.b.c.d/p"; `base` is the address with host bits cleared. */
export function parseCidr(cidr: string): Subnet {
  const [addr, p] = cidr.split('/');
  const prefix = Number(p);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(toInt(addr) / size) * size;
  return {
    cidr,
    base,
    prefix,
    size,
    netmask: toDotted(2 ** 32 - size),
    network: toDotted(base),
    broadcast: toDotted(base + size - 1),
  };
}

export function hasHostBits(cidr: string): boolean {
  const [addr] = cidr.split('/');
  return toInt(addr) !== parseCidr(cidr).base;
}

export function contains(subnet: Subnet, ip: string): boolean {
  const n = toInt(ip);
  return n >= subnet.base && n < subnet.base + subnet.size;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** The n-th address of a subnet (1 = first host address). */
export function nth(subnet: Subnet, n: number): string {
  return toDotted(subnet.base + n);
}

/** A network's gateway, the host's address on it: the one the lab file gives, else the subnet's first address. */
export function gatewayOf(subnet: Subnet, given?: string): string {
  return given ?? nth(subnet, 1);
}

/** A locally administered MAC in QEMU's 52:54:00 range, derived from the address so it is stable per node. */
export function macFor(ip: string): string {
  const n = toInt(ip);
  const bytes = [16, 8, 0].map((shift) => (Math.floor(n / 2 ** shift) % 256).toString(16).padStart(2, '0'));
  return `52:54:00:${bytes.join(':')}`;
}
