// Real /etc/os-release texts of the releases `labforge setup` knows, and a host-facts builder for planSetup's tests.
// Where each text comes from:
// - Debian 12: this machine's /etc/os-release (Debian's base-files 12.4+deb12u*).
// - Debian 13: a debootstrap root of trixie (base-files 13.8), as the Debian 13 end-to-end leg builds it.
// - Ubuntu 22.04 and 24.04: the ubuntu:22.04 and ubuntu:24.04 container images (base-files).
// - Ubuntu 26.04: a host's `cat /etc/os-release` published with its setup notes (26.04.1 LTS, Resolute Raccoon).
// - Fedora 42-44: Fedora's os-release layout (fedora-release-common), VERSION_CODENAME="" included; 43 as published
//   from a Fedora 43 Server host, 42 and 44 the same fields with their numbers.
// - Linux Mint 22: a derivative that names its Ubuntu base in UBUNTU_CODENAME.
import { parseOsRelease, type HostFacts } from '../../../src/lifecycle/host/setup.js';

const ubuntu = (version: string, point: string, name: string, codename: string) =>
  `PRETTY_NAME="Ubuntu ${point} LTS"
NAME="Ubuntu"
VERSION_ID="${version}"
VERSION="${point} LTS (${name})"
VERSION_CODENAME=${codename}
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=${codename}
`;

const fedora = (v: string, end: string) => `NAME="Fedora Linux"
VERSION="${v} (Server Edition)"
RELEASE_TYPE=stable
ID=fedora
VERSION_ID=${v}
VERSION_CODENAME=""
PRETTY_NAME="Fedora Linux ${v} (Server Edition)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:${v}"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f${v}/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=${v}
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=${v}
SUPPORT_END=${end}
VARIANT="Server Edition"
VARIANT_ID=server
`;

export const OS_RELEASE = {
  'debian 12': `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`,
  'debian 13': `PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.8
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`,
  'ubuntu 22.04': ubuntu('22.04', '22.04.5', 'Jammy Jellyfish', 'jammy'),
  'ubuntu 24.04': ubuntu('24.04', '24.04.3', 'Noble Numbat', 'noble'),
  'ubuntu 26.04': ubuntu('26.04', '26.04.1', 'Resolute Raccoon', 'resolute'),
  'fedora 42': fedora('42', '2026-05-13'),
  'fedora 43': fedora('43', '2026-12-02'),
  'fedora 44': fedora('44', '2027-05-19'),
} as const;

export type ReleaseName = keyof typeof OS_RELEASE;
export const RELEASE_NAMES = Object.keys(OS_RELEASE) as ReleaseName[];

export const MINT_22 = `NAME="Linux Mint"
VERSION="22 (Wilma)"
ID=linuxmint
ID_LIKE="ubuntu debian"
PRETTY_NAME="Linux Mint 22"
VERSION_ID="22"
VERSION_CODENAME=wilma
UBUNTU_CODENAME=noble
`;

/** A fresh machine of that release: nothing installed, no daemon, root in a container without systemd. */
export function bare(release: ReleaseName | string, over: Partial<HostFacts> = {}): HostFacts {
  const text = release in OS_RELEASE ? OS_RELEASE[release as ReleaseName] : release;
  return {
    os: parseOsRelease(text),
    root: true,
    systemd: false,
    arch: parseOsRelease(text).id === 'fedora' ? '' : 'amd64',
    installed: [],
    packer: { others: [] },
    files: {},
    running: [],
    userGroups: [],
    githubRunner: false,
    ...over,
  };
}
