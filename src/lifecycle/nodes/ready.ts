// Before a command talks to the nodes over ssh (verify, run, copy, ssh, console): one libvirt query (the one status
// makes) answers at once whether they run. A lab with none of its domains defined is not up (exit 1), a node that is
// not running says its state (exit 1), and a libvirt that cannot be asked is an error with virsh's message (exit 3),
// instead of an ssh time-out seconds later.
import { LabNotUpError, LibvirtAbsentError, LibvirtUnreachableError } from '../../errors.js';
import { spansHosts, type Lab, type LabNode } from '../../lab/model.js';
import { nodeHostUris, uriOfNode } from './lab-hosts.js';
import { Virsh } from '../../tools/virsh.js';

/** Every domain's libvirt state from one `virsh list --all`; a libvirt that cannot be asked is LibvirtUnreachableError
 *  with virsh's message. */
export async function libvirtStates(uri: string): Promise<Map<string, string>> {
  try {
    return await new Virsh(uri).domainStates();
  } catch (e) {
    if (e instanceof LibvirtAbsentError) throw e;
    throw new LibvirtUnreachableError(`cannot ask libvirt at ${uri}: ${(e as Error).message}`);
  }
}

/** Why the command cannot reach `nodes` (undefined when all run), from the domains' states. */
export function notRunning(lab: Lab, nodes: LabNode[], states: Map<string, string>): string | undefined {
  if (!lab.nodes.some((n) => states.has(n.domain))) return `lab ${lab.name} is not up (run labforge up)`;
  const down = nodes
    .map((n) => ({ n, state: states.get(n.domain) }))
    .filter(({ state }) => state !== 'running')
    .map(({ n, state }) => (state === undefined ? `node ${n.name} is not created` : `node ${n.name} is ${state}`));
  if (!down.length) return undefined;
  return `${down.join(', ')} (lab ${lab.name}; labforge up starts it)`;
}

/** Ends the command (exit 1) unless every node of `nodes` runs; exit 3 when libvirt cannot be asked. */
export async function requireRunning(lab: Lab, nodes: LabNode[] = lab.nodes): Promise<void> {
  const why = notRunning(lab, nodes, await labDomainStates(lab));
  if (why) throw new LabNotUpError(why);
}

/** Every domain's libvirt state (name -> state), each node's domain as its own host has it (a domain of that name
 *  on another host does not stand in for it). LibvirtUnreachableError when a host cannot be asked. */
export async function labDomainStates(lab: Lab): Promise<Map<string, string>> {
  if (!spansHosts(lab)) return libvirtStates(lab.host.uri);
  const uris = nodeHostUris(lab);
  const maps = new Map(await Promise.all(uris.map(async (uri) => [uri, await libvirtStates(uri)] as const)));
  const nodeDomains = new Set(lab.nodes.map((n) => n.domain));
  const states = new Map<string, string>();
  for (const m of maps.values()) for (const [name, s] of m) if (!nodeDomains.has(name)) states.set(name, s);
  for (const n of lab.nodes) {
    const s = maps.get(uriOfNode(lab, n))!.get(n.domain);
    if (s === undefined) states.delete(n.domain);
    else states.set(n.domain, s);
  }
  return states;
}
