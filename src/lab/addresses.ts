// Addresses a lab file leaves out: a node without `ip` gets the next free address of the lab subnet, and a lab
// without network.management.cidr gets a management subnet that is free on the host. Both are chosen once and kept
// (the output folder's .labforge-addresses.json, written at render): adding, removing or reordering nodes never moves
// another node's address, and the management subnet stays what the first render chose. Pure: the caller reads and
// writes the record and asks the host what is in use.
import { contains, nth, overlaps, parseCidr, toInt, type Subnet } from './ipv4.js';

/** What a render chose, as kept in the output folder. */
export interface AddressRecord {
  version: 1;
  lab: string;
  /** Node name -> its address on the lab network (every node of the last render). */
  nodes: Record<string, string>;
  /** The management subnet, when labforge chose it (the lab file gave none). */
  management?: string;
}

export interface AddressInput {
  subnet: Subnet;
  gateway: string;
  vips: { ip: string }[];
  nodes: { name: string; ip?: string }[];
}

/** Every node's address: its own, else its recorded one (when still free and inside the subnet), else the lowest
 *  free address of the subnet, in the order of the file. Undefined for a node when the subnet is full (validation
 *  says so first: freeAddressCount). */
export function assignAddresses(input: AddressInput, recorded: Record<string, string> = {}): Map<string, string> {
  const { subnet } = input;
  const taken = new Set<string>([subnet.network, subnet.broadcast, input.gateway, ...input.vips.map((v) => v.ip)]);
  const out = new Map<string, string>();
  for (const n of input.nodes)
    if (n.ip !== undefined) {
      out.set(n.name, n.ip);
      taken.add(n.ip);
    }
  for (const n of input.nodes) {
    if (n.ip !== undefined || !Object.hasOwn(recorded, n.name)) continue;
    const ip = recorded[n.name];
    if (typeof ip !== 'string' || !contains(subnet, ip) || taken.has(ip)) continue;
    out.set(n.name, ip);
    taken.add(ip);
  }
  let next = 1;
  for (const n of input.nodes) {
    if (out.has(n.name)) continue;
    while (next < subnet.size - 1 && taken.has(nth(subnet, next))) next++;
    if (next >= subnet.size - 1) break;
    const ip = nth(subnet, next);
    out.set(n.name, ip);
    taken.add(ip);
  }
  return out;
}

/** How many addresses of the subnet a node may get: all but the network, broadcast, gateway and reserved ones. */
export function freeAddressCount(subnet: Subnet, reserved: string[]): number {
  const inside = new Set(
    reserved.filter((ip) => contains(subnet, ip) && ip !== subnet.network && ip !== subnet.broadcast),
  );
  return subnet.size - 2 - inside.size;
}

/** Where a free management subnet is looked for: the /24s 192.168.124.0 to 192.168.254.0. Not 192.168.121.0/24
 *  (vagrant-libvirt's own default, left behind by any earlier vagrant-libvirt use) nor 192.168.122.0/24 (libvirt's
 *  "default" network) nor 192.168.123.0/24 (often taken by hand-made labs next to those two). */
export const MANAGEMENT_CANDIDATES = { first: 124, last: 254 } as const;

/** The first candidate /24 that overlaps none of `used` (the lab subnet, libvirt's networks, the host's addresses,
 *  other labs' subnets); undefined when every one is taken. */
export function chooseManagementSubnet(used: Subnet[]): string | undefined {
  for (let third = MANAGEMENT_CANDIDATES.first; third <= MANAGEMENT_CANDIDATES.last; third++) {
    const cidr = `192.168.${third}.0/24`;
    const candidate = parseCidr(cidr);
    if (!used.some((u) => overlaps(u, candidate))) return cidr;
  }
  return undefined;
}

/** A subnet from an address and a prefix length or dotted netmask, as libvirt's network XML and `ip` give them. */
export function subnetOf(address: string, mask: string | number): Subnet | undefined {
  let prefix: number;
  if (typeof mask === 'number' || /^\d{1,2}$/.test(mask)) prefix = Number(mask);
  else {
    const bits = toInt(mask).toString(2);
    prefix = bits.replace(/0+$/, '').length;
    if (/0/.test(bits.replace(/0+$/, ''))) return undefined;
  }
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return parseCidr(`${address}/${prefix}`);
}
