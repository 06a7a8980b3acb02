// The host systems `labforge setup` knows, release by release: where Vagrant, vagrant-libvirt and Packer come from
// on each, and the package names. Facts, with where each comes from (test/lifecycle/host/setup.test.ts checks
// every release's plan from its real os-release text):
// - Debian: packages.debian.org. bookworm (12) ships vagrant 2.3.4, vagrant-libvirt 0.11.2 and packer 1.6.6; trixie
//   (13) ships vagrant 2.3.8 and vagrant-libvirt 0.12.2 but no packer (HashiCorp's license change kept it out).
// - Ubuntu: packages.ubuntu.com. jammy (22.04) has vagrant 2.2.19 and vagrant-libvirt 0.7.0 in universe, older than
//   the oldest versions labforge is proven with (Vagrant 2.3.4, vagrant-libvirt 0.11.2); noble (24.04) and resolute
//   (26.04) have neither ("Vagrant has been dropped by Ubuntu due to the adoption of the BSL", Ubuntu's public-images
//   documentation). There, Vagrant and Packer come from HashiCorp and vagrant-libvirt from `vagrant plugin install`.
// - Fedora: packages.fedoraproject.org. vagrant 2.3.4 (2.3.4-7.fc42, -8.fc43, -10.fc44) and vagrant-libvirt 0.11.2 in
//   42-44; no Packer (cracklib-dicts owns /usr/sbin/packer, an unrelated program).
// - HashiCorp's repositories (its install docs: apt.releases.hashicorp.com <codename> main, signed by the key
//   798A EC65 4E5C 1542 8C8E 42EE AA16 FCBC A621 E701; rpm.releases.hashicorp.com/fedora/$releasever/$basearch/stable).
//   They follow new releases late: trixie arrived weeks after Debian 13 (hashicorp/nomad#26495), resolute months after
//   Ubuntu 26.04 (hashicorp/vagrant#13811), Fedora 44's packer after hashicorp/packer#13633 and #13641.

/** A distribution family: the package manager and its package names. */
export type Family = 'debian' | 'fedora';

/** Where a tool comes from on a release: its own archive, HashiCorp's repository, or (vagrant-libvirt) Vagrant's
 *  plugin installer, which builds the plugin's native extensions. */
export type Source = 'archive' | 'hashicorp' | 'plugin';

export interface Release {
  family: Family;
  /** os-release ID and VERSION_ID (Ubuntu's "24.04", Debian's and Fedora's major number). */
  id: 'debian' | 'ubuntu' | 'fedora';
  version: string;
  /** The suite of HashiCorp's apt repository (the release's codename); Fedora's path uses $releasever. */
  codename?: string;
  vagrant: 'archive' | 'hashicorp';
  vagrantLibvirt: 'archive' | 'plugin';
  packer: 'archive' | 'hashicorp';
  /** Why, when the archive's own package is not used. */
  note?: string;
}

export const RELEASES: readonly Release[] = [
  {
    family: 'debian',
    id: 'debian',
    version: '12',
    codename: 'bookworm',
    vagrant: 'archive',
    vagrantLibvirt: 'archive',
    packer: 'archive',
  },
  {
    family: 'debian',
    id: 'debian',
    version: '13',
    codename: 'trixie',
    vagrant: 'archive',
    vagrantLibvirt: 'archive',
    packer: 'hashicorp',
    note: 'Debian 13 has no packer package',
  },
  {
    family: 'debian',
    id: 'ubuntu',
    version: '22.04',
    codename: 'jammy',
    vagrant: 'hashicorp',
    vagrantLibvirt: 'plugin',
    packer: 'hashicorp',
    note: "Ubuntu 22.04's vagrant 2.2.19 and vagrant-libvirt 0.7.0 are older than labforge supports",
  },
  {
    family: 'debian',
    id: 'ubuntu',
    version: '24.04',
    codename: 'noble',
    vagrant: 'hashicorp',
    vagrantLibvirt: 'plugin',
    packer: 'hashicorp',
    note: 'Ubuntu 24.04 has no vagrant, vagrant-libvirt or packer package',
  },
  {
    family: 'debian',
    id: 'ubuntu',
    version: '26.04',
    codename: 'resolute',
    vagrant: 'hashicorp',
    vagrantLibvirt: 'plugin',
    packer: 'hashicorp',
    note: 'Ubuntu 26.04 has no vagrant, vagrant-libvirt or packer package',
  },
  ...(['42', '43', '44'] as const).map((version): Release => ({
    family: 'fedora',
    id: 'fedora',
    version,
    vagrant: 'archive',
    vagrantLibvirt: 'archive',
    packer: 'hashicorp',
    note: `Fedora ${version} has no HashiCorp Packer (its /usr/sbin/packer is cracklib's)`,
  })),
];

/** The host packages of the lab besides Vagrant, vagrant-libvirt and Packer, by family. dnsmasq always: libvirt's NAT
 *  networks run it, and Debian's libvirt-daemon-system only recommends dnsmasq-base. */
export const LAB_PACKAGES: Record<Family, readonly string[]> = {
  debian: [
    'libvirt-daemon-system',
    'libvirt-clients',
    'libvirt-daemon-driver-qemu',
    'qemu-system-x86',
    'qemu-utils',
    'dnsmasq-base',
    'xorriso',
    'openssh-client',
  ],
  fedora: ['libvirt-daemon-kvm', 'libvirt-client', 'qemu-kvm', 'qemu-img', 'dnsmasq', 'xorriso', 'openssh-clients'],
};

/** What `vagrant plugin install vagrant-libvirt` needs to build ruby-libvirt and nokogiri's native extensions, as
 *  vagrant-libvirt's installation documentation names it: GCC and Make (Requirements), pkg-config ("Failure to find
 *  Libvirt for Native Extensions"), the libvirt headers, and the development packages of its upstream-Vagrant line
 *  for Ubuntu/Debian (libxslt-dev is provided by libxslt1-dev). Its optional ebtables and libguestfs-tools are not
 *  build dependencies and labforge does not use them. */
export const PLUGIN_BUILD_PACKAGES: readonly string[] = [
  'gcc',
  'make',
  'pkg-config',
  'libvirt-dev',
  'libxml2-dev',
  'libxslt1-dev',
  'zlib1g-dev',
  'ruby-dev',
];

/** The test tools of labforge's own tests (the Debian test box, the namespace's libvirtd, the generated-file checks,
 *  gpg for the key install's test, ansible-core for the inventory's test and the e2e's Ansible steps). */
export const TEST_PACKAGES: Record<Family, readonly string[]> = {
  debian: [
    'ruby',
    'shellcheck',
    'graphviz',
    'genisoimage',
    'debootstrap',
    'fdisk',
    'extlinux',
    'syslinux-common',
    'e2fsprogs',
    'iproute2',
    'iptables',
    'python3',
    'ca-certificates',
    'cloud-init',
    'gpg',
    'ansible-core',
  ],
  fedora: [
    'ruby',
    'ShellCheck',
    'graphviz',
    'genisoimage',
    'debootstrap',
    'util-linux',
    'syslinux-extlinux',
    'syslinux',
    'e2fsprogs',
    'iproute',
    'iptables-nft',
    'python3',
    'ca-certificates',
    'cloud-init',
    'gnupg2',
    'ansible-core',
  ],
};

/** What the HashiCorp key install needs (fetch over https, check the fingerprint with gpg). */
export const KEY_TOOLS: Record<Family, readonly string[]> = {
  debian: ['ca-certificates', 'curl', 'gpg'],
  fedora: ['ca-certificates', 'curl', 'gnupg2'],
};

export const HASHICORP = {
  /** The fingerprint HashiCorp's install docs tell users to check (its package signing key since January 2023). */
  fingerprint: '798AEC654E5C15428C8E42EEAA16FCBCA621E701',
  apt: { url: 'https://apt.releases.hashicorp.com', key: 'https://apt.releases.hashicorp.com/gpg' },
  rpm: {
    baseurl: 'https://rpm.releases.hashicorp.com/fedora/$releasever/$basearch/stable',
    key: 'https://rpm.releases.hashicorp.com/gpg',
  },
};

/** The files setup writes for HashiCorp's repository (named labforge-*, so they never replace a user's own). */
export const FILES = {
  aptKey: '/etc/apt/keyrings/labforge-hashicorp.gpg',
  aptSource: '/etc/apt/sources.list.d/labforge-hashicorp.sources',
  aptPin: '/etc/apt/preferences.d/labforge-hashicorp',
  rpmKey: '/etc/pki/rpm-gpg/labforge-hashicorp.asc',
  rpmRepo: '/etc/yum.repos.d/labforge-hashicorp.repo',
};

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string;
  /** VERSION_CODENAME, or UBUNTU_CODENAME on Ubuntu's derivatives. */
  codename: string;
  prettyName: string;
}

/** The release of this host, matched by os-release: the distribution itself, or a derivative by the release it names
 *  (UBUNTU_CODENAME, ID_LIKE). A newer release than the table knows gets its family's newest entry with its own
 *  codename, and says so; an older one, or another system, gets undefined. */
export function releaseOf(os: OsRelease): { release: Release; guessed?: string } | undefined {
  const byCodename = RELEASES.find((r) => r.codename && r.codename === os.codename);
  const id =
    (['debian', 'ubuntu', 'fedora'] as const).find((i) => os.id === i) ?? (byCodename ? byCodename.id : undefined);
  if (!id) return undefined;
  const exact =
    byCodename ??
    RELEASES.find((r) => r.id === id && (r.version === os.versionId || r.version === os.versionId.split('.')[0]));
  if (exact) return { release: exact };
  const newest = RELEASES.filter((r) => r.id === id).at(-1)!;
  const v = Number.parseFloat(os.versionId);
  if (!(v > Number.parseFloat(newest.version))) return undefined;
  return {
    release: { ...newest, version: os.versionId, codename: os.codename || newest.codename },
    guessed: `${os.prettyName || `${id} ${os.versionId}`} is newer than the releases setup was checked on; it is set up like ${id} ${newest.version}`,
  };
}
