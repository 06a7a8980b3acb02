// The lab's nodes as libvirt domains: each node's domain is the one whose UUID labforge recorded for it (ownership
// record), never one found by name.
import type { Lab } from '../../lab/model.js';
import type { Virsh } from '../../tools/virsh.js';
import type { OwnershipRecord } from '../state/ownership.js';

/** A libvirt domain now. */
export interface LiveDomain {
  uuid: string;
  name: string;
  /** libvirt's state: running, shut off, paused, ... */
  state: string;
}

/** A lab node and the domain labforge recorded for it, as libvirt has it now. */
export interface ResolvedNode {
  node: string;
  /** The recorded domain that exists now (absent: not created, or gone). */
  domain?: LiveDomain;
}

/**
 * Each lab node's domain: the one whose UUID the record lists for the node and that exists now. A domain with the
 * node's domain name but another UUID is someone else's: it is named in `refused` and never touched.
 */
export function resolveNodes(
  lab: Lab,
  record: OwnershipRecord | undefined,
  live: LiveDomain[],
): { nodes: ResolvedNode[]; refused: string[] } {
  const byUuid = new Map(live.map((d) => [d.uuid, d]));
  const refused: string[] = [];
  const nodes = lab.nodes.map((n): ResolvedNode => {
    const recorded = (record?.domains ?? []).filter((d) => d.node === n.name);
    const domain = recorded.map((d) => byUuid.get(d.uuid)).find((d) => d !== undefined);
    if (domain) return { node: n.name, domain };
    const other = live.find((d) => d.name === n.domain);
    if (other) {
      refused.push(
        `domain ${other.name} (${other.uuid}) is not the domain labforge recorded for node ${n.name} ` +
          `(${recorded.length ? recorded.map((d) => d.uuid).join(', ') : 'none recorded'}): labforge leaves it alone`,
      );
    }
    return { node: n.name };
  });
  return { nodes, refused };
}

export async function liveDomains(virsh: Virsh): Promise<LiveDomain[]> {
  const states = await virsh.domainStates();
  const out: LiveDomain[] = [];
  for (const uuid of await virsh.domainUuids()) {
    const name = await virsh.domainName(uuid);
    out.push({ uuid, name, state: states.get(name) ?? 'unknown' });
  }
  return out;
}
