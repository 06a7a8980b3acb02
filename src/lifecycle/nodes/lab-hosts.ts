// Which libvirt host holds which node: host.uri for a lab on one host; with `hosts`, each node's own host. The
// lifecycle asks each node's own host through one Virsh per URI (HostsVirsh routes the domain calls), so the code
// paths of a lab on one host serve a lab across several.
import { hostOf, spansHosts, type Lab, type LabNode } from '../../lab/model.js';
import { HostsVirsh } from '../../tools/hosts-virsh.js';
import type { RunOptions } from '../../tools/run.js';
import { Virsh } from '../../tools/virsh.js';

/** The URI of the libvirt host that holds `node`. */
export function uriOfNode(lab: Lab, node: LabNode): string {
  return spansHosts(lab) ? hostOf(lab, node.host ?? lab.hosts[0].name).uri : lab.host.uri;
}

/** The URIs of the hosts that hold nodes, host.uri (the first host's) first, each once. */
export function nodeHostUris(lab: Lab): string[] {
  return [...new Set([lab.host.uri, ...lab.nodes.map((n) => uriOfNode(lab, n))])];
}

/** The lab's libvirt for its nodes' domains: host.uri's Virsh, or a HostsVirsh over every host holding nodes. */
export function labVirsh(lab: Lab, opts: RunOptions = {}): Virsh {
  return spansHosts(lab) ? new HostsVirsh(nodeHostUris(lab), opts) : new Virsh(lab.host.uri, opts);
}
