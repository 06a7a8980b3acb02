// A lab on a remote libvirt host (host.uri qemu+ssh://...): what labforge knows of that host it asks libvirt over the
// same connection (virsh -c URI): its CPUs, memory, KVM, and the free space of the lab's pool. Nothing is read from
// this machine's /dev, /proc or /sys for it, and this machine needs no libvirtd.
import { nodesOn, type Lab, type LabNode } from '../../lab/model.js';
import type { RemoteHost } from '../../lab/host-uri.js';
import { overlaps } from '../../lab/ipv4.js';
import { Virsh } from '../../tools/virsh.js';
import { libvirtSubnets } from '../nodes/network-plan.js';
import { diskCheck, firstLine, memoryCheck, parseVirshVersion, type Check } from './checks.js';

/** host.driver "auto" on the remote host: kvm when its libvirt offers KVM guests. */
export async function remoteDriver(lab: Lab, virsh = new Virsh(lab.host.uri)): Promise<'kvm' | 'qemu'> {
  if (lab.host.driver !== 'auto') return lab.host.driver;
  return (await virsh.kvmSupported()) ? 'kvm' : 'qemu';
}

/** doctor's checks of the remote host's KVM, memory, disk and subnets, each asked of its libvirt; `nodes` are the
 *  nodes it holds (a lab across hosts: those placed there). */
export async function remoteChecks(
  lab: Lab,
  remote: RemoteHost,
  virsh: Virsh,
  nodes: LabNode[] = lab.nodes,
): Promise<Check[]> {
  const where = `host ${remote.host}`;
  const checks: Check[] = [];
  const [kvm, facts, pool] = await Promise.all(
    [virsh.kvmSupported(), virsh.nodeFacts(), virsh.poolAvailableBytes(lab.host.pool)].map((p) =>
      (p as Promise<unknown>).catch((e: Error) => e),
    ),
  );
  if (kvm instanceof Error) checks.push({ name: 'KVM', status: 'warn', detail: `${where}: ${firstLine(kvm)}` });
  else if (kvm) checks.push({ name: 'KVM', status: 'ok', detail: `libvirt on ${where} offers KVM guests` });
  else
    checks.push({
      name: 'KVM',
      status: lab.host.driver === 'kvm' ? 'fail' : 'warn',
      detail: `libvirt on ${where} offers no KVM guests: they run under QEMU TCG (much slower)`,
      fix:
        lab.host.driver === 'kvm'
          ? `enable virtualization on ${remote.host}, or set host.driver to auto`
          : `enable hardware virtualization on ${remote.host} for speed`,
    });
  const tcg = lab.host.driver === 'qemu' || (lab.host.driver === 'auto' && kvm !== true);
  if (facts instanceof Error)
    checks.push({ name: 'memory', status: 'warn', detail: `cannot read ${where}'s memory: ${firstLine(facts)}` });
  else {
    const f = facts as { totalMiB: number; availableMiB: number; cpus: number };
    checks.push(
      memoryCheck({ nodes, host: lab.host }, tcg, { total: f.totalMiB, available: f.availableMiB }, `${where}'s`),
    );
  }
  if (pool instanceof Error)
    checks.push({ name: 'disk', status: 'warn', detail: `cannot read pool ${lab.host.pool}: ${firstLine(pool)}` });
  else if (pool === undefined)
    checks.push({
      name: 'disk',
      status: 'ok',
      detail:
        `${where} has no pool ${lab.host.pool} yet: vagrant-libvirt creates it ` +
        `(at ${lab.host.poolPath ?? '/var/lib/libvirt/images'}) and libvirt checks its space then`,
    });
  else checks.push(diskCheck(lab, (pool as number) / 2 ** 30, `in pool ${lab.host.pool} on ${where}`));
  checks.push(...(await remoteSubnetChecks(lab, where, virsh)));
  return checks;
}

/** The lab's subnets against the libvirt networks of a remote host (its routes are not asked: libvirt refuses to
 *  start a network on a subnet the host routes, and says so). The lab's own networks there do not count. */
async function remoteSubnetChecks(lab: Lab, where: string, virsh: Virsh): Promise<Check[]> {
  const used = await libvirtSubnets(virsh).catch((e: Error) => e);
  return (
    [
      [lab.network, 'network.cidr'],
      [lab.management, 'network.management.cidr'],
    ] as const
  ).map(([net, field]): Check => {
    const name = `subnet ${net.subnet.cidr}`;
    if (used instanceof Error)
      return { name, status: 'warn', detail: `cannot list the libvirt networks on ${where}: ${firstLine(used)}` };
    const clash = used.find((u) => u.name !== net.name && overlaps(u.subnet, net.subnet));
    if (clash)
      return {
        name,
        status: 'fail',
        detail: `on ${where}: libvirt network ${clash.name} uses ${clash.subnet.network}/${clash.subnet.prefix}`,
        fix: `pick another ${field}, or remove network ${clash.name} there`,
      };
    return {
      name,
      status: 'ok',
      detail: `on ${where}: no other libvirt network uses it (libvirt refuses to start ${net.name} if the host routes it)`,
    };
  });
}

/**
 * A lab across hosts (`hosts:`): every host after the first (whose checks doctor has made over host.uri) asked the
 * same way over its own URI: libvirt reachable with its version, then KVM, the memory of the nodes placed there, the
 * pool's space and the subnets. A host whose libvirt does not answer fails (exit 3) naming it.
 */
export async function otherHostsChecks(lab: Lab): Promise<Check[]> {
  const per = await Promise.all(
    lab.hosts.slice(1).map(async (host): Promise<Check[]> => {
      const virsh = new Virsh(host.uri);
      try {
        const v = parseVirshVersion(await virsh.version());
        const head: Check = {
          name: `libvirt (host ${host.name})`,
          status: 'ok',
          detail: `${host.uri}: libvirt ${v.daemon ?? '(no daemon version)'}, QEMU ${v.qemu ?? '(none named)'}`,
        };
        const rest = await remoteChecks(lab, host.remote, virsh, nodesOn(lab, host));
        return [head, ...rest.map((c) => ({ ...c, name: `${c.name} (host ${host.name})` }))];
      } catch (e) {
        return [
          {
            name: `libvirt (host ${host.name})`,
            status: 'fail',
            detail: `cannot reach libvirtd at ${host.uri}: ${firstLine(e as Error)}`,
            fix: `check that ${host.remote.host} runs libvirtd and that ssh reaches it as in hosts[].uri`,
          },
        ];
      }
    }),
  );
  return per.flat();
}
