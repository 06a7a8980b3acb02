// Placement of a lab across hosts (`hosts`, `host:` on nodes and roles): before anything is created, each host must
// hold the nodes placed there, by doctor's own estimate of what a node takes (labMemoryMiB: its memory, QEMU's own,
// and under TCG the translation cache) against the memory the host's libvirt says is available. A host that cannot
// is exit 3 naming the host and the shortfall, and nothing is created on any host.
import { HostNotReadyError } from '../../errors.js';
import { nodesOn, type Lab, type LabHost } from '../../lab/model.js';
import { Virsh } from '../../tools/virsh.js';
import { labMemoryMiB } from '../host/checks.js';

/** What one host has for the lab, as its libvirt reports it. */
export interface HostRoom {
  host: LabHost;
  availableMiB: number;
  /** Whether the nodes there run under TCG (no KVM on that host, or host.driver qemu). */
  tcg: boolean;
}

/** One line per host and what its nodes need against what it has. Pure. */
export function placementReport(
  lab: Lab,
  rooms: HostRoom[],
): { host: string; needMiB: number; availableMiB: number; nodes: string[] }[] {
  return rooms.map((r) => {
    const nodes = nodesOn(lab, r.host);
    return {
      host: r.host.name,
      needMiB: labMemoryMiB({ nodes, host: lab.host }, r.tcg),
      availableMiB: Math.floor(r.availableMiB),
      nodes: nodes.map((n) => n.name),
    };
  });
}

/** The sentences for hosts that cannot hold their nodes (empty: the placement fits). Pure. */
export function placementShortfalls(lab: Lab, rooms: HostRoom[]): string[] {
  return placementReport(lab, rooms)
    .filter((p) => p.needMiB > p.availableMiB)
    .map(
      (p) =>
        `host ${p.host}: the nodes placed there (${p.nodes.join(', ')}) need about ${p.needMiB} MiB, ` +
        `${p.needMiB - p.availableMiB} MiB more than its ${p.availableMiB} MiB available`,
    );
}

/** Asks every host's libvirt (in parallel) for its available memory and KVM, and refuses (exit 3) a placement that
 *  does not fit. `driver` is host.driver. Returns the report when it fits. */
export async function checkPlacement(lab: Lab, driver: 'auto' | 'kvm' | 'qemu' = lab.host.driver) {
  const rooms = await Promise.all(
    lab.hosts.map(async (host): Promise<HostRoom> => {
      const virsh = new Virsh(host.uri);
      const [facts, kvm] = await Promise.all([
        virsh.nodeFacts(),
        driver === 'auto' ? virsh.kvmSupported() : Promise.resolve(driver === 'kvm'),
      ]);
      return { host, availableMiB: facts.availableMiB, tcg: !kvm };
    }),
  );
  const short = placementShortfalls(lab, rooms);
  if (short.length)
    throw new HostNotReadyError(
      `the lab's placement does not fit its hosts (nothing was created):\n  ${short.join('\n  ')}\n` +
        'move nodes to another host (host: on a node or role), lower their memory, or add a host',
    );
  return placementReport(lab, rooms);
}
