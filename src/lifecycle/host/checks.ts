// doctor's checks that need no tool: each turns facts labforge gathered into ok / warn / fail with the fix, and the
// table people read.
import { LibvirtAbsentError } from '../../errors.js';
import type { Lab, LabNetwork } from '../../lab/model.js';
import { contains, overlaps, parseCidr } from '../../lab/ipv4.js';
import type { KvmFacts } from '../../tools/host.js';
import type * as ip from '../../tools/ip.js';
import { supportOf, type Tool } from './support.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** An error's first line, for a check's detail (for a libvirt that is not there, virsh's own words: the check's fix
 *  says what to do). */
export const firstLine = (e: Error) =>
  e instanceof LibvirtAbsentError ? `virsh: ${e.reason}` : e.message.split('\n')[0];

/** The daemon's and the hypervisor's version in `virsh version --daemon`'s answer. */
export function parseVirshVersion(text: string): { daemon?: string; qemu?: string } {
  return {
    daemon: /Running against daemon:\s*(\S+)/.exec(text)?.[1],
    qemu: /Running hypervisor:\s*QEMU\s+(\S+)/.exec(text)?.[1],
  };
}

/** About what the lab's guests take from the host's memory: each node's memory and QEMU's own (64 MiB), and under
 *  TCG each guest's translation cache (host.tcg_cache). */
export function labMemoryMiB(lab: Pick<Lab, 'nodes' | 'host'>, tcg: boolean): number {
  return lab.nodes.reduce((sum, n) => sum + n.memoryMiB + 64 + (tcg ? lab.host.tcgCacheMiB : 0), 0);
}

/** Whether this host can run the lab's guests with KVM, and nested guests when host.nested asks for them. */
export function kvmChecks(k: KvmFacts, host: Pick<Lab['host'], 'driver' | 'nested'>): Check[] {
  const checks: Check[] = [];
  const add = (name: string, status: Check['status'], detail: string, fix?: string) =>
    checks.push({ name, status, detail, fix });
  if (k.device && k.cpuFlags) add('KVM', 'ok', '/dev/kvm is usable');
  else if (host.driver === 'kvm')
    add(
      'KVM',
      'fail',
      `host.driver is kvm but ${!k.device ? '/dev/kvm cannot be opened' : 'the CPU has no vmx/svm'}`,
      'enable virtualization in the firmware, load kvm_intel/kvm_amd, or set host.driver to auto',
    );
  else if (k.device)
    add(
      'KVM',
      'warn',
      '/dev/kvm opens but the CPU has no vmx/svm: guests run under QEMU TCG (much slower), and libvirt re-probes QEMU on every call while /dev/kvm is there',
      'enable hardware virtualization (nested on a CI runner), or hide /dev/kvm from libvirtd',
    );
  else
    add(
      'KVM',
      'warn',
      '/dev/kvm cannot be opened: guests run under QEMU TCG (much slower)',
      'enable hardware virtualization (or nested virtualization on a CI runner) for speed',
    );
  if (host.nested) {
    if (k.nested) add('nested virtualization', 'ok', 'the kvm module has nested=1');
    else if (k.nested === undefined)
      add(
        'nested virtualization',
        'fail',
        'host.nested is on but neither kvm_intel nor kvm_amd is loaded',
        'load the module: modprobe kvm_intel nested=1 (kvm_amd on AMD)',
      );
    else
      add(
        'nested virtualization',
        'fail',
        'host.nested is on but the kvm module does not allow nested guests (nested=0)',
        'echo "options kvm_intel nested=1" > /etc/modprobe.d/kvm.conf and reload the module (kvm_amd on AMD)',
      );
  }
  return checks;
}

/** Whether a lab subnet is free on this host: no route of another device reaches into it. A route on `ownBridge`,
 *  the bridge of the lab's own libvirt network of that name, is the lab's own. */
export function subnetCheck(
  net: LabNetwork,
  field: 'network.cidr' | 'network.management.cidr',
  routes: ip.Route[] | Error,
  ownBridge: string | undefined,
): Check {
  const name = `subnet ${net.subnet.cidr}`;
  if (routes instanceof Error)
    return { name, status: 'warn', detail: `cannot read the routing table: ${firstLine(routes)}` };
  const clash = routes.find(
    (r) =>
      r.dst !== 'default' &&
      r.dev !== ownBridge &&
      (r.dst.includes('/') ? overlaps(parseCidr(r.dst), net.subnet) : contains(net.subnet, r.dst)),
  );
  if (clash)
    return {
      name,
      status: 'fail',
      detail: `${clash.dst} is already routed on ${clash.dev ?? 'another device'}`,
      fix: `pick another ${field} or remove what uses it`,
    };
  return { name, status: 'ok', detail: ownBridge ? `used by libvirt network ${net.name} (${ownBridge})` : 'free' };
}

export function formatChecks(checks: Check[]): string {
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  return checks
    .map((c) => `${mark[c.status]}  ${c.name}: ${c.detail}${c.fix && c.status !== 'ok' ? `\n      fix: ${c.fix}` : ''}`)
    .join('\n');
}

/** A tool's check: its version and what labforge's support table says of it (see support.ts). */
export function versionCheck(name: string, tool: Tool, shown: string, version: string, where = ''): Check {
  const v = supportOf(tool, version);
  return { name, status: v.status, detail: `${shown}${where}: ${v.note}`, fix: v.fix };
}

/** The verdict on the lab's size on a host with `mem` (MiB): more than the host has at all cannot start (a CI runner
 *  without KVM and the nine-node lab, say); more than is free now may, if the host gives memory back. `where` names
 *  the host ("this host's", "host h's"). */
export function memoryCheck(
  lab: Pick<Lab, 'nodes' | 'host'>,
  tcg: boolean,
  mem: { total: number; available: number },
  where: string,
): Check {
  const need = labMemoryMiB(lab, tcg);
  const what = `the nodes need about ${need} MiB${tcg ? ' under TCG (their memory, QEMU and its translation cache)' : ''}`;
  if (need > mem.total)
    return {
      name: 'memory',
      status: 'fail',
      detail: `${what}, more than ${where} ${Math.round(mem.total)} MiB`,
      fix: `lower memory or the number of nodes in the lab file${tcg ? ', or run it where KVM is' : ''}, or use a larger host`,
    };
  if (need > mem.available)
    return {
      name: 'memory',
      status: 'warn',
      detail: `${what}, ${Math.round(mem.available)} MiB is available`,
      fix: 'close other VMs or lower memory in the lab file',
    };
  return { name: 'memory', status: 'ok', detail: `${what} of ${Math.round(mem.available)} MiB available` };
}

/** Free space for the base volume and the nodes' copy-on-write growth (about 1 GiB each). */
export function diskCheck(lab: Pick<Lab, 'nodes' | 'image'>, freeGiB: number, where: string): Check {
  const need = lab.image.diskGiB + lab.nodes.length;
  if (freeGiB < need)
    return {
      name: 'disk',
      status: 'warn',
      detail: `${freeGiB.toFixed(1)} GiB free ${where}; the lab wants about ${need} GiB`,
      fix: 'free space or set host.pool_path',
    };
  return { name: 'disk', status: 'ok', detail: `${freeGiB.toFixed(1)} GiB free ${where}` };
}
