// labforge doctor: can this host run the lab? Each check says ok / warn / fail and, when not ok, the fix.
import { nodesOn, type Lab } from '../../lab/model.js';
import { freeDiskGiB, kvm, memoryMiB, resolveDriver } from '../../tools/host.js';
import * as ip from '../../tools/ip.js';
import * as packer from '../../tools/packer.js';
import * as qemuImg from '../../tools/qemu-img.js';
import { which } from '../../tools/run.js';
import * as vagrant from '../../tools/vagrant.js';
import { Virsh } from '../../tools/virsh.js';
import { xmlAttr } from '../../tools/virsh-output.js';
import { vagrantKeys } from './vagrant-keys.js';

import { otherHostsChecks, remoteChecks } from './remote.js';
import {
  diskCheck,
  firstLine,
  kvmChecks,
  memoryCheck,
  subnetCheck,
  versionCheck,
  parseVirshVersion,
  type Check,
} from './checks.js';

export type { Check };
export { formatChecks, labMemoryMiB } from './checks.js';

async function answerOrError<T>(fn: () => Promise<T>): Promise<T | Error> {
  try {
    return await fn();
  } catch (e) {
    return e as Error;
  }
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
    routes: lab.host.remote ? undefined : answerOrError(() => ip.routes()),
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

  const remote = lab.host.remote;
  if (remote)
    add(
      'libvirt URI',
      'ok',
      `${lab.host.uri}: the lab runs on ${remote.host}, reached over ssh (libvirt, vagrant-libvirt and ProxyJump to the nodes)`,
    );
  else if (/\/session\b/.test(lab.host.uri))
    add(
      'libvirt URI',
      'warn',
      `${lab.host.uri} is a session URI: it cannot create the bridged lab network`,
      'set host.uri to qemu:///system',
    );
  else add('libvirt URI', 'ok', `${lab.host.uri} (system daemon: networks and pools are shared)`);

  if (!remote) checks.push(...kvmChecks(kvm(), lab.host));

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

  if (remote) {
    // KVM, memory, disk and subnets of the remote host, asked of its libvirt (nothing local says anything of them).
    const first = lab.hosts.length ? nodesOn(lab, lab.hosts[0]) : lab.nodes;
    if (!(daemon instanceof Error)) checks.push(...(await remoteChecks(lab, remote, virsh, first)));
    checks.push(...(await otherHostsChecks(lab)));
    return checks;
  }
  // The lab subnets must be free on the host, or belong to the lab's own libvirt networks.
  const routes = (await asked.routes)!;
  for (const [i, [net, field]] of (
    [
      [lab.network, 'network.cidr'],
      [lab.management, 'network.management.cidr'],
    ] as const
  ).entries()) {
    const bridge = daemon instanceof Error ? undefined : await asked.bridges[i];
    checks.push(subnetCheck(net, field, routes, typeof bridge === 'string' ? bridge : undefined));
  }
  const tcg = resolveDriver(lab.host.driver) === 'qemu';
  checks.push(memoryCheck(lab, tcg, memoryMiB(), "this host's"));
  const poolDir = lab.host.poolPath ?? '/var/lib/libvirt/images';
  checks.push(diskCheck(lab, freeDiskGiB(poolDir), `under ${poolDir}`));
  return checks;
}
