// The lab's subnets against what the host already has: libvirt's networks (any lab's, libvirt's "default", a
// hand-made one) and the host's own addresses. Used before anything is created (up), and to choose a management
// subnet that is free (lifecycle/open.ts).
import os from 'node:os';
import type { Lab } from '../../lab/model.js';
import { overlaps, type Subnet } from '../../lab/ipv4.js';
import { subnetOf } from '../../lab/addresses.js';
import { UsageError } from '../../errors.js';
import type { Virsh } from '../../tools/virsh.js';
import { parseNetworkIpv4 } from '../../tools/virsh-output.js';

/** A subnet in use on the host, and who uses it. */
export interface UsedSubnet {
  /** The libvirt network's name, or the host interface's. */
  name: string;
  kind: 'libvirt network' | 'host interface' | 'lab';
  subnet: Subnet;
}

/** Every libvirt network's IPv4 subnets (a network that vanishes while we look is skipped). */
export async function libvirtSubnets(virsh: Virsh): Promise<UsedSubnet[]> {
  const out: UsedSubnet[] = [];
  for (const name of await virsh.networks()) {
    let xml: string;
    try {
      xml = await virsh.networkXml(name, true);
    } catch {
      continue;
    }
    for (const ip of parseNetworkIpv4(xml)) {
      const subnet = subnetOf(ip.address, ip.mask);
      if (subnet) out.push({ name, kind: 'libvirt network', subnet });
    }
  }
  return out;
}

/** The host's own IPv4 subnets (loopback left out). */
export function hostSubnets(): UsedSubnet[] {
  const out: UsedSubnet[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces()))
    for (const a of addrs ?? [])
      if (a.family === 'IPv4' && !a.internal) {
        const subnet = subnetOf(a.address, a.netmask);
        if (subnet) out.push({ name, kind: 'host interface', subnet });
      }
  return out;
}

/** The lab's two networks, with the field that sets each. */
function labSubnets(lab: Lab): { name: string; field: string; subnet: Subnet }[] {
  return [
    { name: lab.network.name, field: 'network.cidr', subnet: lab.network.subnet },
    { name: lab.management.name, field: 'network.management.cidr', subnet: lab.management.subnet },
  ];
}

/** What stands in the lab's way among libvirt's networks: one sentence per clash, naming both networks. A network
 *  with the lab network's own name and subnet is the lab's (an earlier up, or defined by hand), not a clash. */
export function networkClashes(lab: Lab, libvirt: UsedSubnet[]): string[] {
  const out: string[] = [];
  for (const mine of labSubnets(lab))
    for (const other of libvirt) {
      if (other.name === mine.name) {
        if (other.subnet.base !== mine.subnet.base || other.subnet.prefix !== mine.subnet.prefix)
          out.push(
            `${mine.field}: the libvirt network "${other.name}" already exists with ${other.subnet.network}/${other.subnet.prefix}, ` +
              `but lab ${lab.name} wants ${mine.subnet.cidr} for it; remove "${other.name}" or name the lab's network otherwise`,
          );
        continue;
      }
      if (labSubnets(lab).some((m) => m.name === other.name)) continue;
      if (overlaps(mine.subnet, other.subnet))
        out.push(
          `${mine.field}: ${mine.subnet.cidr} (lab ${lab.name}'s network "${mine.name}") overlaps the libvirt network ` +
            `"${other.name}" (${other.subnet.network}/${other.subnet.prefix}); choose another subnet or remove "${other.name}"`,
        );
    }
  return out;
}

/** Fails (exit 2) before anything is created when a lab subnet overlaps a libvirt network of someone else's. */
export async function checkNetworksFree(virsh: Virsh, lab: Lab): Promise<string> {
  const used = await libvirtSubnets(virsh);
  const clashes = networkClashes(lab, used);
  if (clashes.length) throw new UsageError(clashes.join('\n'));
  return `${lab.network.subnet.cidr} and ${lab.management.subnet.cidr} overlap none of libvirt's ${new Set(used.map((u) => u.name)).size} networks`;
}
