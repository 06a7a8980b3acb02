// A node's domain runs some time before vagrant-libvirt counts it as running. vagrant-libvirt (driver.rb, `state`)
// asks libvirt for a DHCP lease of the domain's first interface (the management network) and, without one, calls a
// running domain "inaccessible"; `vagrant provision` of such a machine only prints "Domain is not running. Please run
// `vagrant up` or `vagrant resume` first." (action_provision checks IsRunning) and provisions nothing, and `vagrant
// up` would try to start it again. An `up` killed while Vagrant waited for the addresses leaves exactly that: the
// domains running and still booting, no lease yet (docs/faults.md, row 9 of the first chaos run). So before up
// provisions nodes that do not answer, it waits until each of them has its lease, as vagrant up's WaitTillUp would.

import { Virsh } from '../../tools/virsh.js';
import { parseDomifaddr, parseDomiflist } from '../../tools/virsh-output.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** virsh, and what vagrant-libvirt asks before it counts a running domain as running. */
export class LeaseVirsh extends Virsh {
  /** Whether libvirt holds a DHCP lease (IPv4) for the domain's first interface, vagrant-libvirt's management NIC. */
  async firstInterfaceLeased(domain: string): Promise<boolean> {
    const first = parseDomiflist(await this.virsh(['domiflist', domain]))[0];
    if (!first) return false;
    const leases = parseDomifaddr(await this.virsh(['domifaddr', domain, '--source', 'lease']));
    return leases.some((l) => l.mac === first.mac && l.protocol === 'ipv4');
  }
}

/**
 * Waits until every domain of `domains` (node name -> domain) has a lease, asking `leased` for all of them at once
 * every `pollMs`, for up to `timeoutS`. Returns the nodes still without one (none: every node has its lease).
 * `progress` is told once, when the first answer leaves some waiting.
 */
export async function awaitLeases(
  domains: Map<string, string>,
  leased: (domain: string) => Promise<boolean>,
  { timeoutS, pollMs = 2000, progress }: { timeoutS: number; pollMs?: number; progress?: (line: string) => void },
): Promise<string[]> {
  const until = Date.now() + timeoutS * 1000;
  let waiting = [...domains.keys()];
  let told = false;
  for (;;) {
    const answers = await Promise.all(waiting.map(async (n) => [n, await leased(domains.get(n)!)] as const));
    waiting = answers.filter(([, ok]) => !ok).map(([n]) => n);
    if (!waiting.length || Date.now() >= until) return waiting;
    if (!told)
      progress?.(
        `waiting for ${waiting.join(', ')} to get an address on the management network (running, still booting: ` +
          'Vagrant provisions a node only once it has one)',
      );
    told = true;
    await pause(Math.min(pollMs, Math.max(0, until - Date.now())));
  }
}
