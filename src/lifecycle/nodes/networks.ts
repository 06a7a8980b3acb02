// The lab's libvirt networks: defined from the rendered XML before `vagrant up`, removed by destroy.
import path from 'node:path';
import type { Lab, LabNetwork } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { contains } from '../../lab/ipv4.js';
import { type Virsh } from '../../tools/virsh.js';
import { xmlAttr } from '../../tools/virsh-output.js';
import { UsageError } from '../../errors.js';

export function labNetworks(lab: Lab): { net: LabNetwork; file: string; field: string }[] {
  return [
    { net: lab.management, file: path.join(lab.outDir, LAYOUT.managementNetwork), field: 'network.management' },
    { net: lab.network, file: path.join(lab.outDir, LAYOUT.labNetwork), field: 'network' },
  ];
}

/** Defines and starts a network unless it exists; an existing one must have the lab's address. Idempotent. */
export async function ensureNetwork(virsh: Virsh, net: LabNetwork, file: string, field: string): Promise<string> {
  const existing = await virsh.networks();
  if (existing.includes(net.name)) {
    const xml = await virsh.networkXml(net.name, true);
    const address = xmlAttr(xml, 'ip', 'address');
    const netmask = xmlAttr(xml, 'ip', 'netmask') ?? xmlAttr(xml, 'ip', 'prefix');
    if (address !== net.gateway || (netmask !== net.subnet.netmask && netmask !== String(net.subnet.prefix)))
      throw new UsageError(
        `${field}.name: a libvirt network "${net.name}" already exists with address ${address}/${netmask}, ` +
          `but the lab wants ${net.gateway}/${net.subnet.netmask}; ` +
          `remove it (virsh net-destroy ${net.name}; virsh net-undefine ${net.name}) or choose another name`,
      );
    if (!(await virsh.networkActive(net.name))) {
      await virsh.startNetwork(net.name);
      return 'started';
    }
    return 'already running';
  }
  for (const other of existing) {
    const address = xmlAttr(await virsh.networkXml(other, true), 'ip', 'address');
    if (address && contains(net.subnet, address))
      throw new UsageError(
        `${field}.cidr: ${net.subnet.cidr} is already used by the libvirt network "${other}" (${address}); choose another subnet or remove "${other}"`,
      );
  }
  await virsh.defineNetwork(file);
  await virsh.startNetwork(net.name);
  await virsh.autostartNetwork(net.name);
  return 'defined and started';
}
