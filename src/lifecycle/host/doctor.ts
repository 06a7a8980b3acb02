// labforge doctor: can this host run the lab? Each check says ok / warn / fail and, when not ok, the fix.
import type { Lab, LabNetwork } from '../../lab/model.js';
import { contains, overlaps, parseCidr } from '../../lab/ipv4.js';
import { freeDiskGiB, kvm, memoryMiB, resolveDriver, type KvmFacts } from '../../tools/host.js';
import * as ip from '../../tools/ip.js';
import * as packer from '../../tools/packer.js';
import * as qemuImg from '../../tools/qemu-img.js';
import { which } from '../../tools/run.js';
import * as vagrant from '../../tools/vagrant.js';
import { Virsh } from '../../tools/virsh.js';
import { xmlAttr } from '../../tools/virsh-output.js';
import { supportOf, type Tool } from './support.js';
import { vagrantKeys } from './vagrant-keys.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

async function answerOrError<T>(fn: () => Promise<T>): Promise<T | Error> {
  try {
    return await fn();
  } catch (e) {
    return e as Error;
  }
}

const firstLine = (e: Error) => e.message.split('\n')[0];

/** The daemon's and the hypervisor's version in `virsh version --daemon`'s answer. */
export function parseVirshVersion(text: string): { daemon?: string; qemu?: string } {
  return {
    daemon: /Running against daemon:\s*(\S+)/.exec(text)?.[1],
    qemu: /Running hypervisor:\s*QEMU\s+(\S+)/.exec(text)?.[1],
  };
}

/** A tool's check: its version and what labforge's support table says of it (see support.ts). */
export function versionCheck(name: string, tool: Tool, shown: string, version: string, where = ''): Check {
  const v = supportOf(tool, version);
  return { name, status: v.status, detail: `${shown}${where}: ${v.note}`, fix: v.fix };
}

export async function doctor(lab: Lab): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, status: Check['status'], detail: string, fix?: string) =>
    checks.push({ name, status, detail, fix });
  const virsh = new Virsh(lab.host.uri);
  // Every tool is asked at once (Vagrant and Packer each take a second to start); the checks are then made in order.
  const asked = {
    daemon: answerOrError(() => virsh.version()),
    vagrant: answerOrError(() => vagrant.version()),
    plugins: answerOrError(() => vagrant.plugins()),
    keys: answerOrError(() => vagrantKeys()),
    packer: answerOrError(() => packer.locate()),
    imageSize: lab.image.local ? answerOrError(() => qemuImg.virtualSizeBytes(lab.image.local!)) : undefined,
    routes: answerOrError(() => ip.routes()),
    bridges: [lab.network, lab.management].map((net) =>
      answerOrError(async () => xmlAttr(await virsh.networkXml(net.name), 'bridge', 'name')),
    ),
  };

  const daemon = await asked.daemon;
  if (daemon instanceof Error)
    add(
      'libvirt',
      'fail',
      `cannot reach libvirtd at ${lab.host.uri}: ${firstLine(daemon)}`,
      'run `labforge setup` (installs libvirt and starts libvirtd, also without systemd), and check host.uri',
    );
  else {
    const v = parseVirshVersion(daemon);
    if (v.daemon)
      checks.push(versionCheck('libvirt', 'libvirt', `libvirt ${v.daemon}`, v.daemon, ` at ${lab.host.uri}`));
    else add('libvirt', 'warn', `libvirt answers at ${lab.host.uri} but names no daemon version: ${daemon.trim()}`);
    if (v.qemu) checks.push(versionCheck('QEMU', 'QEMU', `QEMU ${v.qemu}`, v.qemu));
    else add('QEMU', 'warn', `libvirt at ${lab.host.uri} names no QEMU hypervisor (virsh version)`);
  }

  if (/\/session\b/.test(lab.host.uri))
    add(
      'libvirt URI',
      'warn',
      `${lab.host.uri} is a session URI: it cannot create the bridged lab network`,
      'set host.uri to qemu:///system',
    );
  else add('libvirt URI', 'ok', `${lab.host.uri} (system daemon: networks and pools are shared)`);

  checks.push(...kvmChecks(kvm(), lab.host));

  const vv = await asked.vagrant;
  if (vv instanceof Error)
    add(
      'vagrant',
      'fail',
      firstLine(vv),
      'run `labforge setup` (installs the vagrant package on Debian, Ubuntu and Fedora)',
    );
  else {
    checks.push(versionCheck('vagrant', 'vagrant', `Vagrant ${vv}`, vv));
    const keys = await asked.keys;
    if (keys instanceof Error) add('Vagrant keys', 'fail', firstLine(keys), 'reinstall vagrant (`labforge setup`)');
    else
      add(
        'Vagrant keys',
        'ok',
        `${keys.publicKeys.length} insecure key${keys.publicKeys.length === 1 ? '' : 's'} ` +
          `(${keys.publicKeys.map((k) => k.split(' ')[0]).join(', ')}) in ${keys.dir}, which the box accepts; ` +
          `Packer logs in with ${vagrant.preferredKey(keys).type}`,
      );
    const plugins = await asked.plugins;
    const vl = plugins instanceof Error ? undefined : plugins.find((p) => p.name === 'vagrant-libvirt');
    if (vl)
      checks.push(versionCheck('vagrant-libvirt', 'vagrant-libvirt', `vagrant-libvirt ${vl.version}`, vl.version));
    else
      add(
        'vagrant-libvirt',
        'fail',
        'the vagrant-libvirt plugin is not installed',
        'run `labforge setup` (installs the vagrant-libvirt package), or `vagrant plugin install vagrant-libvirt`',
      );
  }

  const pv = await asked.packer;
  if (pv instanceof Error)
    add(
      'packer',
      'fail',
      firstLine(pv),
      "run `labforge setup` (Debian 12: the packer package; elsewhere HashiCorp's repository)",
    );
  else
    checks.push(
      versionCheck(
        'packer',
        'packer',
        `Packer ${pv.version.text} at ${pv.file}, ${pv.how}` +
          (packer.supportsInit(pv.version)
            ? '; plugins via packer init'
            : '; built-in qemu builder, the plugins file is not used'),
        pv.version.text,
      ),
    );

  if (which('qemu-img')) add('qemu-img', 'ok', which('qemu-img')!);
  else
    add(
      'qemu-img',
      'fail',
      'qemu-img is not installed',
      'run `labforge setup` (installs qemu-utils on Debian/Ubuntu, qemu-img on Fedora)',
    );
  const iso = ['xorriso', 'mkisofs', 'genisoimage'].find((t) => which(t));
  if (iso) add('ISO tool', 'ok', `${iso} (Packer builds the cloud-init seed CD with it)`);
  else
    add(
      'ISO tool',
      lab.image.method === 'cloud' ? 'fail' : 'warn',
      'none of xorriso, mkisofs, genisoimage found',
      'run `labforge setup` (installs xorriso)',
    );
  if (which('dot')) add('Graphviz', 'ok', `${which('dot')} (labforge graph --format svg)`);
  else
    add(
      'Graphviz',
      'warn',
      'dot is not installed: `labforge graph --format svg` cannot draw (mermaid and dot still work)',
      'run `labforge setup --with-test-tools`, or install graphviz',
    );
  if (lab.image.local) {
    const size = (await asked.imageSize)!;
    if (size instanceof Error)
      add(
        'base image',
        'fail',
        `image.local ${lab.image.local}: ${firstLine(size)}`,
        'point image.local at a qcow2 image',
      );
    else if (size > lab.image.diskGiB * 2 ** 30)
      add(
        'base image',
        'fail',
        `image.local is ${size / 2 ** 30} GiB, larger than image.disk ${lab.image.diskGiB}G`,
        'raise image.disk',
      );
    else add('base image', 'ok', `${lab.image.local} (${(size / 2 ** 30).toFixed(1)} GiB)`);
  }

  // The lab subnets must be free on the host, or belong to the lab's own libvirt networks.
  const routes = await asked.routes;
  for (const [i, [net, field]] of (
    [
      [lab.network, 'network.cidr'],
      [lab.management, 'network.management.cidr'],
    ] as const
  ).entries()) {
    const bridge = daemon instanceof Error ? undefined : await asked.bridges[i];
    checks.push(subnetCheck(net, field, routes, typeof bridge === 'string' ? bridge : undefined));
  }

  // The verdict on the lab's size: more than the host has at all cannot start (a CI runner without KVM and the
  // nine-node lab, say); more than is free now may, if the host gives memory back.
  const mem = memoryMiB();
  const tcg = resolveDriver(lab.host.driver) === 'qemu';
  const need = labMemoryMiB(lab, tcg);
  const what = `the nodes need about ${need} MiB${tcg ? ' under TCG (their memory, QEMU and its translation cache)' : ''}`;
  if (need > mem.total)
    add(
      'memory',
      'fail',
      `${what}, more than this host's ${Math.round(mem.total)} MiB`,
      `lower memory or the number of nodes in the lab file${tcg ? ', or run it where KVM is' : ''}, or use a larger host`,
    );
  else if (need > mem.available)
    add(
      'memory',
      'warn',
      `${what}, ${Math.round(mem.available)} MiB is available`,
      'close other VMs or lower memory in the lab file',
    );
  else add('memory', 'ok', `${what} of ${Math.round(mem.available)} MiB available`);
  const poolDir = lab.host.poolPath ?? '/var/lib/libvirt/images';
  const free = freeDiskGiB(poolDir);
  const needDisk = lab.image.diskGiB + lab.nodes.length; // the base volume, plus copy-on-write growth per node
  if (free < needDisk)
    add(
      'disk',
      'warn',
      `${free.toFixed(1)} GiB free under ${poolDir}; the lab wants about ${needDisk} GiB`,
      'free space or set host.pool_path',
    );
  else add('disk', 'ok', `${free.toFixed(1)} GiB free under ${poolDir}`);
  return checks;
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
