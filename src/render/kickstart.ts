// The kickstart of the iso method: Anaconda installs Fedora from the netinst ISO without questions, into the
// state the cloud method starts from (a vagrant user with Vagrant's insecure key and passwordless sudo, sshd
// accepting that key). The guest scripts then do the rest, the same for both methods.
// Every value placed in a command line goes through kickstart(): pykickstart splits lines like a POSIX shell.
import type { Lab } from '../lab/model.js';
import type { RenderContext } from './context.js';
import { kickstart } from './escape.js';
import { BUILD_HOSTNAME, headerLine, SSHD_DROPIN, SSHD_DROPIN_TEXT, vagrantKey } from './cloud-init.js';

/** Kernel arguments of the installed system. selinux=0: since Fedora 34 only this really disables SELinux. */
export const KICKSTART_KERNEL_ARGS = 'selinux=0 console=tty0 console=ttyS0,115200n8';

export function renderKickstart(lab: Lab, ctx: RenderContext, source: string): string {
  const release = lab.image.release;
  const metalink = `https://mirrors.fedoraproject.org/metalink?repo=fedora-${release}&arch=x86_64`;
  const lines = [
    headerLine(source),
    `# Unattended install of Fedora ${release} from the netinst ISO (image.method: iso). Packer serves this file over HTTP`,
    '# and the boot command points Anaconda at it (inst.ks=...).',
    '',
    'text',
    'lang en_US.UTF-8',
    'keyboard --vckeymap=us --xlayouts=us',
    'timezone UTC --utc',
    `network --bootproto=dhcp --device=link --activate --onboot=on --hostname=${kickstart(BUILD_HOSTNAME)}`,
    '# The netinst ISO holds only the installer: packages come from the Fedora mirrors.',
    `url --metalink=${kickstart(metalink)}`,
    '',
    '# No host firewall and no SELinux on the lab nodes; the guest scripts check both again after a reboot.',
    'firewall --disabled',
    'selinux --disabled',
    `bootloader --timeout=1 --append=${kickstart(KICKSTART_KERNEL_ARGS)}`,
    '',
    'zerombr',
    'clearpart --all --initlabel',
    'autopart',
    '',
    '# Nobody logs in as root; the vagrant user logs in with the key only and may sudo without a password.',
    'rootpw --lock',
    'user --name=vagrant --gecos=Vagrant --groups=wheel --lock',
    `sshkey --username=vagrant ${kickstart(vagrantKey(ctx))}`,
    'firstboot --disabled',
    'skipx',
    'services --enabled=sshd',
    '# Boot the installed system: Packer then connects to it over ssh.',
    'reboot',
    '',
    '%packages',
    '@core',
    'qemu-guest-agent',
    '-firewalld',
    '%end',
    '',
    '%post --erroronfail --log=/root/ks-post.log',
    'set -eu',
    // The sudoers rule is checked before it is put in place: a broken file would lock sudo out.
    "printf '%s\\n' 'vagrant ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/vagrant.tmp",
    'visudo -cf /etc/sudoers.d/vagrant.tmp',
    'chmod 0440 /etc/sudoers.d/vagrant.tmp',
    'mv /etc/sudoers.d/vagrant.tmp /etc/sudoers.d/vagrant',
    "# Vagrant's insecure key is RSA: clients that still sign with ssh-rsa (SHA-1) need it allowed, which Fedora's",
    '# crypto policy does not. sshd keeps the first value it reads, so the drop-in sorts before 50-redhat.conf.',
    'mkdir -p /etc/ssh/sshd_config.d',
    `cat >${SSHD_DROPIN} <<'LABFORGE_EOF'`,
    SSHD_DROPIN_TEXT.trimEnd(),
    'LABFORGE_EOF',
    `chmod 0600 ${SSHD_DROPIN}`,
    '%end',
  ];
  return `${lines.join('\n')}\n`;
}
