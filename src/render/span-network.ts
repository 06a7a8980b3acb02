// libvirt network XML of the lab network when it spans several hosts (`hosts`). The first host's is the network of
// one host (gateway, DNS, forwarding: render/network.ts) on the lab bridge labforge names, with the fabric's MTU;
// every other host's is a network in bridge mode on the bridge labforge made there, with no address, DHCP or DNS
// of its own: one gateway and one DNS answer for the whole lab, through the tunnel.
import type { Fabric } from '../lab/fabric.js';
import { isGatewayHost } from '../lab/fabric.js';
import type { Lab, LabHost } from '../lab/model.js';
import { renderLabNetwork } from './network.js';
import { header } from './context.js';
import { xml, xmlCommentText } from './escape.js';

export function renderSpanNetwork(lab: Lab, fabric: Fabric, host: LabHost, source: string): string {
  if (isGatewayHost(lab, host)) {
    // The one-host network, with the bridge named (the tunnel joins it) and the MTU the tunnel leaves: libvirt sets
    // it on the bridge and hands it to the guests' virtio NICs (host_mtu).
    const one = renderLabNetwork(lab, source);
    return one.replace(
      /^ {2}<name>.*<\/name>$/m,
      (name) => `${name}\n  <bridge name="${xml(fabric.bridge)}" stp="off"/>\n  <mtu size="${xml(fabric.mtu)}"/>`,
    );
  }
  return [
    header('xml', source),
    '<network>',
    `  <name>${xml(lab.network.name)}</name>`,
    `  <!-- ${xmlCommentText(`The lab network on host ${host.name}: the bridge labforge made there, joined to the first host's by VXLAN ${fabric.vni}.`)} -->`,
    '  <forward mode="bridge"/>',
    // No <mtu> here: libvirt allows it only for the networks it makes the bridge of; the bridge labforge made has
    // the fabric's MTU, and libvirt gives each guest's tap device its bridge's MTU.
    `  <bridge name="${xml(fabric.bridge)}"/>`,
    '</network>',
    '',
  ].join('\n');
}
