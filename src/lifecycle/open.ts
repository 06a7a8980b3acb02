// Opening a lab for a command: load + validate the lab file, then gather what the renderers need from the host.
import fs from 'node:fs';
import os from 'node:os';
import { UsageError } from '../errors.js';
import { loadLabFile } from '../lab/load.js';
import { spansHosts, withManagementSubnet, type Lab } from '../lab/model.js';
import { chooseFabric, hostFabricFacts } from './nodes/fabric.js';
import { readRecord } from './state/record.js';
import { chooseManagementSubnet } from '../lab/addresses.js';
import { overlaps, parseCidr } from '../lab/ipv4.js';
import { Virsh } from '../tools/virsh.js';
import { routes } from '../tools/ip.js';
import { hostSubnets, libvirtSubnets, type UsedSubnet } from './nodes/network-plan.js';
import { readAddressRecord } from './state/addresses.js';
import { readRegistry } from './state/registry.js';
import type { RenderContext } from '../render/context.js';
import { memoryMiB, resolveDriver } from '../tools/host.js';
import * as vagrant from '../tools/vagrant.js';
import { publicKeyOf } from '../tools/ssh.js';
import { imageOf, planLock } from '../lab/base-image.js';
import { noBaseImage, readLock } from './image/lockfile.js';
import { localImageSha256 } from './image/local-image.js';
import { outDirProblem } from './state/outdir.js';
import { vagrantKeys } from './host/vagrant-keys.js';
import { remoteDriver } from './host/remote.js';
import { LOCAL_QUERY_S, REMOTE_QUERY_S } from '../time-limits.js';

export interface OpenLab {
  lab: Lab;
  ctx: RenderContext;
  warnings: string[];
  /** The private half of the Vagrant insecure key Packer logs in with (see tools/vagrant.ts preferredKey); empty
   *  when Vagrant's keys were not found (ctx.vagrantKeysProblem says why). */
  insecurePrivateKey: string;
}

export interface GlobalOptions {
  lab: string;
  out?: string;
}

/** The user's `access.ssh_key`: a private key ssh-keygen reads, matching the
 *  public key beside it. */
async function checkKey(lab: Lab): Promise<void> {
  // The lab's own key is labforge's, made by ssh-keygen: no need to ask ssh-keygen again on every command.
  if (lab.access.ownKey) return;
  const file = lab.access.sshKey;
  const field = 'access.ssh_key';
  let derived: string;
  try {
    derived = await publicKeyOf(file);
  } catch {
    throw new UsageError(
      `${field}: ${JSON.stringify(file)} is not a private key that \`ssh-keygen -y\` can read without a passphrase`,
    );
  }
  let pub = '';
  try {
    pub = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  } catch {
    /* reported below */
  }
  if (pub !== derived)
    throw new UsageError(
      `${field}: ${file}.pub ${pub ? 'is not the public half of' : 'is missing beside'} the private key ${JSON.stringify(file)}`,
    );
}

/** The driver and CPUs of the remote host the lab runs on. */
async function remoteContext(lab: Lab): Promise<{ driver: 'kvm' | 'qemu'; cpus: number }> {
  // A host that does not answer (down, or an address nothing routes) must not hold a command for ssh's own minutes.
  const virsh = new Virsh(lab.host.uri, { timeoutMs: REMOTE_QUERY_S * 1000 });
  const [driver, cpus] = await Promise.all([
    remoteDriver(lab, virsh).catch(() => (lab.host.driver === 'kvm' ? 'kvm' : 'qemu') as 'kvm' | 'qemu'),
    lab.host.bootTimeout === undefined
      ? virsh.nodeFacts().then(
          (f) => f.cpus,
          () => 1,
        )
      : Promise.resolve(1),
  ]);
  return { driver, cpus };
}

/** The lab with a management subnet free on this host: the subnet of an existing libvirt network of the lab's
 *  management network name (the lab's own, from before its record), else the first candidate that overlaps no
 *  libvirt network, host address or other lab's subnet. libvirt that cannot be asked is left out here; up's check
 *  of the networks asks it again before anything is created. */
async function chooseManagement(lab: Lab): Promise<Lab> {
  let libvirt: UsedSubnet[] = [];
  try {
    libvirt = await libvirtSubnets(new Virsh(lab.host.uri, { timeoutMs: LOCAL_QUERY_S * 1000 }));
  } catch {
    /* no libvirt (yet) */
  }
  const own = libvirt.find((u) => u.name === lab.management.name);
  if (own && !overlaps(own.subnet, lab.network.subnet))
    return withManagementSubnet(lab, `${own.subnet.network}/${own.subnet.prefix}`);
  const others = readRegistry()
    .filter((r) => r.outDir !== lab.outDir)
    .flatMap((r) => [parseCidr(r.network), parseCidr(r.management)]);
  // What the host routes (a VPN, a container bridge) is taken as well as its own addresses.
  const routed = await routes().then(
    (rs) => rs.filter((r) => r.dst.includes('/')).map((r) => parseCidr(r.dst)),
    () => [],
  );
  const used = [
    lab.network.subnet,
    ...libvirt.map((u) => u.subnet),
    ...hostSubnets().map((u) => u.subnet),
    ...routed,
    ...others,
  ];
  const cidr = chooseManagementSubnet(used);
  if (!cidr)
    throw new UsageError(
      'network.management.cidr: no /24 of 192.168.124.0-192.168.254.0 is free on this host; set one in the lab file',
    );
  return withManagementSubnet(lab, cidr);
}

/** Loads and validates the lab file (`onParsed`: see LoadOptions) and gathers what the renderers need; `render`:
 *  for a command that renders, which chooses the management subnet when the lab has none yet. */
export async function openLab(
  opts: GlobalOptions,
  onParsed?: (raw: unknown) => void,
  render = false,
): Promise<OpenLab> {
  if (opts.out !== undefined) {
    const problem = outDirProblem(opts.out);
    if (problem) throw new UsageError(`--out: ${problem}`);
  }
  const loaded = loadLabFile(opts.lab, {
    outDir: opts.out,
    hostMemoryMiB: memoryMiB().total,
    onParsed,
    recorded: readAddressRecord,
  });
  const { warnings } = loaded;
  // Only a command that renders asks the host (a lab never rendered has nothing up for the others to find).
  const lab = render && loaded.lab.management.from === 'unchosen' ? await chooseManagement(loaded.lab) : loaded.lab;
  if (opts.out === undefined) {
    const problem = outDirProblem(lab.outDir);
    if (problem) throw new UsageError(`the output folder ${problem} (choose one with --out)`);
  }
  await checkKey(lab);
  // Only a render needs Vagrant's keys (the box accepts them, Packer logs in with one): a command that renders nothing
  // (doctor, ssh, status, ...) works without Vagrant, and a render says why it cannot.
  let keys: vagrant.InsecureKeys | undefined;
  let keysProblem: string | undefined;
  try {
    keys = await vagrantKeys();
  } catch (e) {
    keysProblem = (e as Error).message;
  }
  // A remote host (host.uri qemu+ssh) is asked over the same connection; it is only asked when it has to be (the
  // driver is auto, or the boot time-out follows its CPUs), and a host that does not answer leaves TCG's longer wait.
  const remote = lab.host.remote ? await remoteContext(lab) : undefined;
  // A lab across hosts: the lab network's MTU, as recorded when its fabric was made (a lab keeps it), else from the
  // hosts' links, asked when the command renders.
  const recordedMtu = spansHosts(lab) ? readRecord(lab.outDir)?.fabric?.mtu : undefined;
  const labMtu = recordedMtu ?? (render && spansHosts(lab) ? chooseFabric(await hostFabricFacts(lab)).mtu : undefined);
  const ctx: RenderContext = {
    driver: remote?.driver ?? resolveDriver(lab.host.driver),
    hostCpus: remote ? remote.cpus : os.cpus().length,
    vagrantPublicKeys: keys?.publicKeys ?? [],
    vagrantKeysProblem: keysProblem,
    localImageSha256: lab.image.local ? await localImageSha256(lab, lab.image.local) : undefined,
    ...(labMtu === undefined ? {} : { labMtu }),
  };
  // The image the lab file names; else the one lab.lock pins, when it fits; else the catalogue's (no network here).
  if (lab.image.local === undefined) {
    const image = imageOf(planLock(lab, lab.image.url === undefined ? readLock(lab) : undefined));
    if (image) ctx.baseImage = { url: image.url, checksum: image.checksum };
  }
  return { lab, ctx, warnings, insecurePrivateKey: keys ? vagrant.preferredKey(keys).file : '' };
}

/** Fails (exit 2) when nothing names the lab's base image: no image.url or image.local, no lab.lock that fits, and a
 *  release this labforge does not know. `labforge lock` (or bake) asks Fedora and writes the lock. */
export function requireBaseImage(o: OpenLab): void {
  if (o.lab.image.local === undefined && !o.ctx.baseImage) throw noBaseImage(o.lab);
}
