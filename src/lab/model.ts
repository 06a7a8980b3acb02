// The typed lab model every renderer and lifecycle step works from: defaults resolved, sizes in MiB/GiB,
// addresses computed. Built only from a lab that validate.ts accepted.
import path from 'node:path';
import { parseHostUri, type RemoteHost } from './host-uri.js';
import { LAYOUT } from '../layout.js';
import { DOMAIN_SUFFIX, type LabParsed } from './schema.js';
import { assignAddresses, chooseManagementSubnet, type AddressRecord } from './addresses.js';
import { gatewayOf, macFor, parseCidr, type Subnet } from './ipv4.js';
import { parseSize } from './size.js';
import { labPath } from './paths.js';
import { FEDORA } from './fedora.js';
import { provisionStep, type LabDisk, type ProvisionStage } from './model-steps.js';

export interface LabNode {
  name: string;
  /** The libvirt domain Vagrant creates for it: the lab's domainPrefix, then the name. */
  domain: string;
  fqdn: string;
  role?: string;
  ip: string;
  mac: string;
  cpus: number;
  memoryMiB: number;
  /** Disk size in GiB; equal to the box disk unless the node asks for more. */
  diskGiB: number;
  /** Extra data disks (the node's list, else its role's): the guest finds each as /dev/disk/by-id/virtio-<name>. */
  disks: LabDisk[];
  /** With `hosts`: the name of the host it runs on (its own `host:`, its role's, else the first host). */
  host?: string;
}

export type { LabDisk, ProvisionAction, ProvisionStage, ProvisionStep } from './model-steps.js';

/** One libvirt host of a lab that spans several (`hosts`). */
export interface LabHost {
  name: string;
  uri: string;
  remote: RemoteHost;
  /** Its address on the network the hosts share: its VXLAN endpoint. */
  address: string;
}

export interface LabNetwork {
  name: string;
  subnet: Subnet;
  forward: 'nat' | 'isolated';
  gateway: string;
}

export interface Lab {
  name: string;
  /** vagrant-libvirt's default_prefix: every node's libvirt domain is named <prefix><node name>. */
  domainPrefix: string;
  domain: string;
  /** Absolute path of the lab file this model came from ('<defaults>' when there was none). */
  source: string;
  /** Absolute output directory. */
  outDir: string;
  /** The lab file's folder (the current folder when there is no lab file): provisioning paths are inside it. */
  labDir: string;
  /** The provisioning steps in the order they run. */
  provision: ProvisionStage[];
  network: LabNetwork;
  /** `from`: the lab file's cidr, the one an earlier render chose (recorded), or a stand-in not yet chosen against
   *  the host (`unchosen`: lifecycle/open.ts chooses it before anything renders). */
  management: LabNetwork & { from: 'file' | 'recorded' | 'unchosen' };
  vips: { name: string; fqdn: string; ip: string }[];
  nodes: LabNode[];
  image: {
    release: number;
    /** A pinned compose; otherwise the newest, as resolved into the lock. */
    compose?: string;
    method: 'cloud' | 'iso';
    /** The image URL and its Packer checksum when the lab file gives them (they win over resolution). */
    url?: string;
    checksum?: string;
    /** Where resolution looks: a mirror's linux/ tree, the archive, releases.json. */
    mirror: string;
    archive: string;
    index: string;
    /** Absolute path of a local base image, when baking from one. */
    local?: string;
    update: boolean;
    /** Whether the nodes keep the image's swap (false: the bake turns it off, verify checks it is off). */
    swap: boolean;
    diskGiB: number;
    cpus: number;
    memoryMiB: number;
  };
  /** With `hosts`: every host, the first holding the gateway, DHCP and DNS (host.uri is then the first's URI). Empty
   *  for a lab on host.uri alone. */
  hosts: LabHost[];
  host: {
    uri: string;
    /** The remote host host.uri names (qemu+ssh), or undefined for this machine's libvirtd. */
    remote?: RemoteHost;
    driver: 'auto' | 'kvm' | 'qemu';
    pool: string;
    poolPath?: string;
    nested: boolean;
    /** Set by the lab file; otherwise it follows the host (see bootTimeoutS in render/vagrantfile.ts). */
    bootTimeout?: number;
    /** MiB of translated code each guest's QEMU keeps under TCG (tb-size); unused under KVM. */
    tcgCacheMiB: number;
  };
  access: {
    /** Absolute path of the lab's private key; the public key is beside it with .pub. */
    sshKey: string;
    /** Whether labforge owns the key (it generates it under <out>/secrets/) or the lab file names the user's own. */
    ownKey: boolean;
    rootPassword?: string;
  };
}

/** Where a lab's generated files and state live unless --out says otherwise. */
export function defaultOutDir(labFile: string | undefined, name: string): string {
  const base = labFile ? path.dirname(path.resolve(labFile)) : process.cwd();
  return path.join(base, '.labforge', name);
}

export interface ResolveOptions {
  labFile?: string;
  outDir?: string;
  /** What an earlier render of this output folder chose (read by the caller from the folder). */
  recorded?: (outDir: string) => AddressRecord | undefined;
}

export function resolveLab(parsed: LabParsed, opts: ResolveOptions): Lab {
  const labDir = opts.labFile ? path.dirname(path.resolve(opts.labFile)) : process.cwd();
  const outDir = path.resolve(opts.outDir ?? defaultOutDir(opts.labFile, parsed.name));
  const record = opts.recorded?.(outDir);
  const recorded = record?.lab === parsed.name ? record : undefined;
  const subnet = parseCidr(parsed.network.cidr);
  const domain = parsed.domain ?? `${parsed.name}${DOMAIN_SUFFIX}`;
  const networkName = parsed.network.name ?? parsed.name;
  const gateway = gatewayOf(subnet, parsed.network.gateway);
  const mgmtFrom = parsed.network.management.cidr ? 'file' : recorded?.management ? 'recorded' : 'unchosen';
  const mgmtCidr =
    parsed.network.management.cidr ?? recorded?.management ?? chooseManagementSubnet([subnet]) ?? '192.168.124.0/24';
  const mgmtSubnet = parseCidr(mgmtCidr);
  const addresses = assignAddresses({ subnet, gateway, vips: parsed.vips, nodes: parsed.nodes }, recorded?.nodes);
  const diskGiB = parseSize(parsed.image.disk, 'GiB');
  const defaults = parsed.defaults;
  const domainPrefix = `${parsed.name}-`;
  const hosts = (parsed.hosts ?? []).map((h): LabHost => {
    const remote = parseHostUri(h.uri);
    if (!remote) throw new Error(`hosts: ${h.uri} is not remote (validation should have said so)`);
    return { name: h.name, uri: h.uri, remote, address: h.address ?? remote.host };
  });
  const uri = hosts[0]?.uri ?? parsed.host.uri;
  const nodes = parsed.nodes.map((n): LabNode => {
    const role = n.role && Object.hasOwn(parsed.roles, n.role) ? parsed.roles[n.role] : {};
    const pick = <K extends 'cpus' | 'memory' | 'disk'>(k: K) => n[k] ?? role[k] ?? defaults[k];
    const host = hosts.length ? (n.host ?? ('host' in role ? role.host : undefined) ?? hosts[0].name) : undefined;
    const memory = pick('memory');
    const disk = pick('disk');
    const ip = addresses.get(n.name);
    if (ip === undefined) throw new Error(`no address left for node ${n.name} (validation should have said so)`);
    return {
      name: n.name,
      domain: `${domainPrefix}${n.name}`,
      fqdn: `${n.name}.${domain}`,
      role: n.role,
      ip,
      mac: macFor(ip),
      cpus: pick('cpus'),
      memoryMiB: parseSize(memory, 'MiB'),
      diskGiB: disk === undefined ? diskGiB : parseSize(disk, 'GiB'),
      disks: (n.disks ?? role.disks ?? []).map((d, i) => ({
        name: d.name ?? `data${i + 1}`,
        sizeGiB: parseSize(d.size, 'GiB'),
      })),
      ...(host === undefined ? {} : { host }),
    };
  });
  const stages: ProvisionStage[] = [
    ...(parsed.provision ?? []).map((s, i) => ({
      step: provisionStep(labDir, s, `provision[${i}]`),
      nodes: nodes.map((n) => n.name),
    })),
    ...Object.entries(parsed.roles).flatMap(([role, r]) =>
      (r.provision ?? []).map((s, i) => ({
        step: provisionStep(labDir, s, `roles.${role}.provision[${i}]`),
        nodes: nodes.filter((n) => n.role === role).map((n) => n.name),
      })),
    ),
    ...parsed.nodes.flatMap((n, k) =>
      (n.provision ?? []).map((s, i) => ({
        step: provisionStep(labDir, s, `nodes[${k}].provision[${i}]`),
        nodes: [n.name],
      })),
    ),
  ].filter((stage) => stage.nodes.length > 0);
  return {
    name: parsed.name,
    domainPrefix,
    domain,
    source: opts.labFile ? path.resolve(opts.labFile) : '<defaults>',
    outDir,
    labDir,
    provision: stages,
    network: {
      name: networkName,
      subnet,
      forward: parsed.network.forward,
      gateway,
    },
    management: {
      name: parsed.network.management.name ?? `${networkName}-mgmt`,
      subnet: mgmtSubnet,
      forward: parsed.network.management.forward,
      gateway: gatewayOf(mgmtSubnet),
      from: mgmtFrom,
    },
    vips: parsed.vips.map((v) => ({ name: v.name, fqdn: `${v.name}.${domain}`, ip: v.ip })),
    nodes,
    image: {
      release: parsed.image.release,
      compose: parsed.image.compose,
      method: parsed.image.method,
      url: parsed.image.url,
      checksum: parsed.image.checksum,
      mirror: parsed.image.mirror ?? FEDORA.mirror,
      archive: parsed.image.archive ?? FEDORA.archive,
      index: parsed.image.index ?? FEDORA.index,
      local: parsed.image.local ? labPath(labDir, parsed.image.local) : undefined,
      update: parsed.image.update,
      swap: parsed.image.swap,
      diskGiB,
      cpus: parsed.image.cpus,
      memoryMiB: parseSize(parsed.image.memory, 'MiB'),
    },
    hosts,
    host: {
      uri,
      remote: parseHostUri(uri),
      driver: parsed.host.driver,
      pool: parsed.host.pool,
      poolPath: parsed.host.pool_path ? labPath(labDir, parsed.host.pool_path) : undefined,
      nested: parsed.host.nested,
      bootTimeout: parsed.host.boot_timeout,
      tcgCacheMiB: parseSize(parsed.host.tcg_cache, 'MiB'),
    },
    access: {
      sshKey: parsed.access.ssh_key ? labPath(labDir, parsed.access.ssh_key) : path.join(outDir, LAYOUT.labKey),
      ownKey: !parsed.access.ssh_key,
      rootPassword: parsed.access.root_password,
    },
  };
}

/** The lab with the management subnet the host has free (lifecycle/open.ts chooses it for an `unchosen` one). */
export function withManagementSubnet(lab: Lab, cidr: string): Lab {
  const subnet = parseCidr(cidr);
  return { ...lab, management: { ...lab.management, subnet, gateway: gatewayOf(subnet), from: 'recorded' } };
}

/** What a render keeps of the lab's chosen addresses (AddressRecord). */
export function addressRecordOf(lab: Lab): AddressRecord {
  return {
    version: 1,
    lab: lab.name,
    nodes: Object.fromEntries(lab.nodes.map((n) => [n.name, n.ip])),
    ...(lab.management.from === 'file' ? {} : { management: lab.management.subnet.cidr }),
  };
}

/** The entry of `hosts` named `name` (a node's `host`). */
export function hostOf(lab: Pick<Lab, 'hosts'>, name: string | undefined): LabHost {
  const host = lab.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host ${JSON.stringify(name)} in hosts (validation should have said so)`);
  return host;
}

/** Whether the lab spans several hosts (a VXLAN joins their bridges). */
export function spansHosts(lab: Pick<Lab, 'hosts'>): boolean {
  return lab.hosts.length > 1;
}

/** The nodes placed on `host`. */
export function nodesOn(lab: Pick<Lab, 'nodes' | 'hosts'>, host: LabHost): LabNode[] {
  return lab.nodes.filter((n) => (n.host ?? lab.hosts[0]?.name) === host.name);
}
