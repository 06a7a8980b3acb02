// The lab file's schema: the one source of truth for field names, types, formats and defaults.
// load.ts parses YAML, validate.ts runs this schema plus the cross-field checks, model.ts resolves the result,
// json-schema.ts turns it into the JSON Schema editors use (npm run schema writes it).
import * as z from 'zod';
import { BOUNDS } from '../bounds.js';
import { BOOT_S } from '../time-limits.js';
import { DEFAULT_RELEASE, FEDORA, OLDEST_RELEASE } from './fedora.js';
import { cidr, cpus, diskSize, DOMAIN, ipv4, label, LABEL, line, memorySize, sizing } from './schema-fields.js';
import { disks, provision } from './schema-steps.js';
export { CIDR, CONTROL, DOMAIN, IPV4, LABEL, SIZE } from './schema-fields.js';

/** The name of a lab whose file gives none. */
export const DEFAULT_LAB_NAME = 'lab';
/** A lab's default DNS domain is its name under .test: RFC 6761 reserves it for testing, so it is never delegated
 *  in the public DNS and no lab name can shadow a real host (.local is mDNS's, example.com belongs to IANA). */
export const DOMAIN_SUFFIX = '.test';

/** The libvirt connection a lab file that names none gets: the local system QEMU driver. */
export const DEFAULT_URI = 'qemu:///system';

/** `host:` of a node or a role: which entry of `hosts` it runs on. */
const hostChoice = label('host name')
  .optional()
  .describe('The name of an entry of `hosts` this runs on (only with `hosts`). Default: the first host.');

/** A role: sizing, and the host its nodes run on. */
export const roleSchema = sizing
  .extend({
    host: hostChoice,
    provision: provision.describe("Steps for the role's nodes, after the lab's steps."),
    disks,
  })
  .strict();

/** One libvirt host of a lab that spans several (`hosts`). */
export const hostEntrySchema = z
  .object({
    name: label('host name').describe('What nodes and roles call this host (`host:`).'),
    uri: line.describe(
      'Its libvirt connection: qemu+ssh://[user@]host[:port]/system (no parameters; the same rules as host.uri).',
    ),
    address: ipv4
      .optional()
      .describe(
        "The host's address on the network the hosts share: the VXLAN tunnel's endpoint. Default: the URI's host, " +
          'when it is an IPv4 address (a name is not resolved: every host must agree on it).',
      ),
  })
  .strict();

export const nodeSchema = sizing
  .extend({
    name: label('hostname').describe('Short hostname; the FQDN is <name>.<domain>.'),
    ip: ipv4
      .optional()
      .describe(
        'Static address on the lab network. Default: the next free address of network.cidr, assigned at the first ' +
          "render and kept in the output folder's .labforge-addresses.json (adding a node never moves another).",
      ),
    role: label('role name')
      .optional()
      .describe('A key of `roles`; the role supplies cpus/memory/disk the node does not set.'),
    host: hostChoice.describe(
      "The name of an entry of `hosts` this node runs on (only with `hosts`). Default: its role's host, else the first host.",
    ),
    provision: provision.describe("Steps for this node, after the lab's and its role's."),
    disks,
  })
  .strict();

export const vipSchema = z
  .object({
    name: label('hostname').describe('Name of the floating address (resolves to it; no VM gets it).'),
    ip: ipv4.describe('The reserved address.'),
  })
  .strict();

export const labSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema (for editors).'),
    name: label('lab name')
      .default(DEFAULT_LAB_NAME)
      .describe(
        `Lab name: names the output directory .labforge/<name>/, the libvirt domains, networks and DNS domain. Default: ${DEFAULT_LAB_NAME}`,
      ),
    domain: z
      .string()
      .regex(DOMAIN, { message: 'must be a DNS domain like example.com' })
      .optional()
      .describe(
        `DNS domain of the lab; node FQDN = <name>.<domain>. Default: <lab name>${DOMAIN_SUFFIX} (.test is reserved by RFC 6761: never a real domain).`,
      ),
    network: z
      .object({
        name: label('network name')
          .optional()
          .describe('libvirt network name of the lab network. Default: the lab name.'),
        cidr: cidr.default('10.240.0.0/24').describe('The lab subnet.'),
        forward: z
          .enum(['nat', 'isolated'])
          .default('nat')
          .describe('nat: guests reach outside through the host; isolated: no forwarding.'),
        gateway: ipv4
          .optional()
          .describe("The host's address on the lab bridge. Default: the first address of the subnet."),
        management: z
          .object({
            name: label('network name')
              .optional()
              .describe('vagrant-libvirt management network. Default: <network.name>-mgmt.'),
            cidr: cidr
              .optional()
              .describe(
                'Its subnet (DHCP; Vagrant reaches the guests here). Must not overlap the lab subnet. Default: a free ' +
                  "/24 of 192.168.124.0-192.168.254.0 chosen at the first render (none of libvirt's networks, host " +
                  "addresses or other labs' subnets) and kept in the output folder's .labforge-addresses.json.",
              ),
            forward: z
              .enum(['nat', 'isolated'])
              .default('nat')
              .describe('nat lets guests download packages; isolated keeps them inside.'),
          })
          .strict()
          .prefault({})
          .describe('The network Vagrant uses to reach the guests (first NIC).'),
      })
      .strict()
      .prefault({}),
    vips: z
      .array(vipSchema)
      .max(BOUNDS.vips.max, { message: `must list at most ${BOUNDS.vips.max} addresses` })
      .default([])
      .describe('Floating addresses: reserved and named in DNS and /etc/hosts, not given to a VM. Default: none.'),
    defaults: sizing
      .extend({
        cpus: cpus.default(1).describe('Virtual CPUs.'),
        memory: memorySize
          .default('512M')
          .describe('Memory: a number of MiB or a size like 512M, 1G, 1.5G (at least 256M).'),
      })
      .prefault({})
      .describe(
        'Sizing for every node unless its role or the node says otherwise. Defaults: cpus 1, memory 512M, disk = image.disk.',
      ),
    roles: z
      .record(z.string().regex(LABEL, { message: 'role names must be RFC 1123 labels' }), roleSchema)
      .default({})
      .describe(
        'Per-role sizing, host, provisioning steps and data disks: any role names the file chooses. Default: none (a node without a role gets `defaults`).',
      ),
    nodes: z
      .array(nodeSchema)
      .min(BOUNDS.nodes.min, { message: 'must list at least one node' })
      .max(BOUNDS.nodes.max, { message: `must list at most ${BOUNDS.nodes.max} nodes` })
      .describe('The VMs (required: no lab has default machines).'),
    provision: provision.describe(
      "Provisioning steps for every node, run first (then each role's, then each node's); see docs/provisioning.md.",
    ),
    image: z
      .object({
        release: z
          .number()
          .int()
          .min(OLDEST_RELEASE, {
            message: `must be a Fedora release of ${OLDEST_RELEASE} or later (older releases name their images differently)`,
          })
          .max(BOUNDS.release.max, { message: `must be a Fedora release number like ${DEFAULT_RELEASE}` })
          .default(DEFAULT_RELEASE)
          .describe('Fedora release. `labforge lock` resolves its image to an exact URL and sha256 in lab.lock.'),
        compose: z
          .string()
          .regex(/^\d{1,3}\.\d{1,3}$/, { message: 'must be a compose label like 1.7' })
          .optional()
          .describe(
            "Pin the release's compose (the label in its file names, e.g. 1.7). Default: the newest, as resolved into lab.lock.",
          ),
        method: z
          .enum(['cloud', 'iso'])
          .default('cloud')
          .describe(
            'cloud: Fedora Cloud Base Generic qcow2 + cloud-init seed (fast). iso: netinst ISO + kickstart (from scratch).',
          ),
        url: line.optional().describe('Image (cloud) or ISO (iso) URL. Default: the release, resolved into lab.lock.'),
        mirror: line.optional().describe(`Base URL of a Fedora mirror's linux/ tree. Default: ${FEDORA.mirror}`),
        archive: line
          .optional()
          .describe(`Base URL of the archive of releases past their end of life. Default: ${FEDORA.archive}`),
        index: line.optional().describe(`URL of Fedora's releases.json. Default: ${FEDORA.index}`),
        checksum: line
          .optional()
          .describe(
            "Packer checksum of url: 'sha256:<hex>' or 'file:<url of a CHECKSUM file>'. Default: the release's CHECKSUM file.",
          ),
        local: line
          .optional()
          .describe(
            'Path of a local base qcow2 to bake from instead of url (cloud method). Relative to the lab file. Its sha256 is computed.',
          ),
        update: z.boolean().default(true).describe('Update all packages while baking.'),
        swap: z
          .boolean()
          .default(false)
          .describe(
            "false: no swap on the nodes. The bake turns the image's swap off (Fedora Cloud's zram swap from " +
              'zram-generator, swap lines in /etc/fstab) and checks after its reboot that none is active; verify checks ' +
              'every node (kubelet refuses to start with swap on). true: swap as the image has it.',
          ),
        disk: diskSize
          .default('20G')
          .describe(
            "Disk size of the baked box (whole GiB). With image.local, set it to that image's virtual size or larger.",
          ),
        cpus: cpus.default(2).describe('CPUs of the build VM.'),
        memory: memorySize.default('2G').describe('Memory of the build VM.'),
      })
      .strict()
      .prefault({})
      .describe('The base image baked into a Vagrant box.'),
    host: z
      .object({
        uri: line
          .default(DEFAULT_URI)
          .describe(
            'libvirt connection URI: qemu:///system, qemu:///session, or a remote host qemu+ssh://[user@]host[:port]/system (no parameters; see docs/remote-hosts.md).',
          ),
        driver: z
          .enum(['auto', 'kvm', 'qemu'])
          .default('auto')
          .describe('auto: kvm when /dev/kvm works, else qemu (TCG, slow).'),
        pool: label('storage pool name')
          .default('default')
          .describe('libvirt storage pool for the node disks and the box volume.'),
        pool_path: line
          .optional()
          .describe(
            "Directory for the pool if labforge has to create it (default: libvirt's /var/lib/libvirt/images).",
          ),
        nested: z
          .boolean()
          .default(false)
          .describe('Expose hardware virtualization to the guests (needs kvm and host nested support).'),
        boot_timeout: z
          .number()
          .int()
          .min(BOUNDS.bootTimeoutS.min)
          .max(BOUNDS.bootTimeoutS.max)
          .optional()
          .describe(
            `Seconds vagrant waits for a node to boot. Default: ${BOOT_S.kvm} under KVM, ${BOOT_S.tcg} under TCG, ` +
              'times the nodes per host CPU (nine TCG guests on two cores boot slowly).',
          ),
        tcg_cache: memorySize
          .default('128M')
          .describe(
            "Under TCG (driver qemu) only: the size of each guest's translated-code cache (QEMU's tb-size, " +
              `libvirt's <tcg><tb-cache>), ${BOUNDS.tcgCacheMiB.min}M to ${BOUNDS.tcgCacheMiB.max / 1024}G. ` +
              "QEMU's own default is 1G per guest, which a 512M node fills while it boots. Ignored under KVM.",
          ),
      })
      .strict()
      .prefault({})
      .describe('The libvirt host (with `hosts`: the settings every host of the lab shares; uri is then not set).'),
    hosts: z
      .array(hostEntrySchema)
      .min(BOUNDS.hosts.min, { message: 'must list at least one host' })
      .max(BOUNDS.hosts.max, { message: `must list at most ${BOUNDS.hosts.max} hosts` })
      .optional()
      .describe(
        'One lab across several libvirt hosts (see docs/remote-hosts.md): the lab network spans them (a bridge per ' +
          'host joined by VXLAN; gateway, DHCP and DNS on the first host). Default: none, the whole lab on host.uri.',
      ),
    access: z
      .object({
        ssh_key: line
          .optional()
          .describe(
            'Private key of the lab (ed25519), relative to the lab file. Default: <output>/id_ed25519, generated once per lab.',
          ),
        root_password: line
          .optional()
          .describe(
            'Set a root password on every node. The classic guide used one; the default is key-only root login.',
          ),
      })
      .strict()
      .prefault({})
      .describe('How you log in to the nodes.'),
  })
  .strict();

export type LabInput = z.input<typeof labSchema>;
export type LabParsed = z.output<typeof labSchema>;
