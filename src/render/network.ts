// libvirt network XML for the lab network and the management network Vagrant uses. labforge defines both before
// `vagrant up`, so vagrant-libvirt finds and reuses them; both carry a DNS entry for every node and VIP, so the
// names resolve from the lab network's dnsmasq and from the DNS server that DHCP hands out on the management side.
import type { Lab, LabNetwork } from '../lab/model.js';
import { nth } from '../lab/ipv4.js';
import { header } from './context.js';
import { xml } from './escape.js';

function dnsHosts(lab: Lab): string[] {
  const named = [...lab.nodes, ...lab.vips].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  return named.flatMap((n) => [
    `    <host ip="${xml(n.ip)}">`,
    `      <hostname>${xml(n.fqdn)}</hostname>`,
    `      <hostname>${xml(n.name)}</hostname>`,
    '    </host>',
  ]);
}

function forward(net: LabNetwork): string[] {
  // No <forward> element makes an isolated network.
  return net.forward === 'nat' ? ['  <forward mode="nat"/>'] : [];
}

/** A network document: name, forwarding, optional domain, DNS hosts for the lab, then its <ip> element(s). */
function networkXml(lab: Lab, net: LabNetwork, source: string, domain: string[], ip: string[]): string {
  return [
    header('xml', source),
    '<network>',
    `  <name>${xml(net.name)}</name>`,
    ...forward(net),
    ...domain,
    '  <dns>',
    ...dnsHosts(lab),
    '  </dns>',
    ...ip,
    '</network>',
    '',
  ].join('\n');
}

/** The lab network: static addresses only (no DHCP), the lab domain served by its dnsmasq. */
export function renderLabNetwork(lab: Lab, source: string): string {
  const net = lab.network;
  return networkXml(
    lab,
    net,
    source,
    [`  <domain name="${xml(lab.domain)}" localOnly="yes"/>`],
    [`  <ip address="${xml(net.gateway)}" netmask="${xml(net.subnet.netmask)}"/>`],
  );
}

/** The management network: DHCP for Vagrant's first NIC, and the lab's names in its DNS. */
export function renderManagementNetwork(lab: Lab, source: string): string {
  const net = lab.management;
  return networkXml(
    lab,
    net,
    source,
    [],
    [
      `  <ip address="${xml(net.gateway)}" netmask="${xml(net.subnet.netmask)}">`,
      '    <dhcp>',
      `      <range start="${xml(nth(net.subnet, 2))}" end="${xml(nth(net.subnet, net.subnet.size - 2))}"/>`,
      '    </dhcp>',
      '  </ip>',
    ],
  );
}
