// The NoCloud seed of the cloud method: cloud-init in the Fedora Cloud Base image reads user-data and meta-data
// from a CD labelled "cidata" (Packer's cd_files) on first boot. It only has to make the image reachable for
// Packer the way a Vagrant box is reachable: a vagrant user with Vagrant's insecure key and passwordless sudo.
// Everything else is done by the guest scripts, the same for both methods.
import { Document, type Scalar, type YAMLMap } from 'yaml';
import { header, type RenderContext } from './context.js';

/** The sshd drop-in that lets Vagrant's RSA insecure key in; shared with the kickstart and 50-vagrant-user.sh. */
export const SSHD_DROPIN = '/etc/ssh/sshd_config.d/10-labforge-vagrant.conf';
export const SSHD_DROPIN_TEXT =
  "# Written by labforge: accept the ssh-rsa signatures of Vagrant's insecure RSA key.\nPubkeyAcceptedAlgorithms +ssh-rsa\n";
/** The build VM's hostname while baking; Vagrant names each node later. */
export const BUILD_HOSTNAME = 'labforge-base';

/** Vagrant's insecure public key as one line, or an error naming what is wrong with it. */
export function vagrantKey(ctx: RenderContext): string {
  const key = ctx.vagrantPublicKey.trim();
  if (!/^(ssh-|ecdsa-)\S+ \S+/.test(key) || /[\r\n\0]/.test(key)) {
    throw new Error(`the Vagrant insecure public key must be one OpenSSH public key line, got ${JSON.stringify(ctx.vagrantPublicKey)}`);
  }
  return key;
}

/** A generated file's header line; the source path is put on one line so it cannot end the comment. */
export function headerLine(source: string): string {
  return header('#', source.replace(/[\u0000-\u001f\u007f]/g, '?'));
}

function comment(doc: Document, key: string, text: string): void {
  const pair = (doc.contents as YAMLMap<Scalar<string>, unknown>).items.find((p) => p.key.value === key);
  if (!pair) throw new Error(`no key ${key} to comment`);
  pair.key.commentBefore = text
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
}

export function renderCloudInit(ctx: RenderContext, source: string): { userData: string; metaData: string } {
  const user = {
    name: 'vagrant',
    gecos: 'Vagrant',
    groups: ['wheel'],
    shell: '/bin/bash',
    // Key-only login, as on every Vagrant box built from a cloud image.
    lock_passwd: true,
    sudo: 'ALL=(ALL) NOPASSWD:ALL',
    ssh_authorized_keys: [vagrantKey(ctx)],
  };
  const doc = new Document({
    users: [user],
    ssh_pwauth: false,
    disable_root: true,
    write_files: [{ path: SSHD_DROPIN, owner: 'root:root', permissions: '0600', content: SSHD_DROPIN_TEXT }],
    runcmd: ['systemctl restart sshd.service'],
  });
  comment(doc, 'users', 'Only the vagrant user: listing no "default" entry keeps the image\'s own "fedora" user from being created.');
  comment(
    doc,
    'write_files',
    [
      "Vagrant's insecure key is RSA. Clients that sign with rsa-sha2 (Vagrant's net-ssh 7, Debian's Packer build)",
      "get in anyway; older ones sign with ssh-rsa (SHA-1), which Fedora's crypto policy leaves out. The drop-in",
      'adds it back; sshd keeps the first value it reads, so it sorts before 50-redhat.conf.',
    ].join('\n'),
  );
  comment(doc, 'runcmd', 'write_files runs before sshd starts on first boot; restart it anyway so the drop-in is certainly in effect.');
  const userData = `#cloud-config\n${headerLine(source)}\n${doc.toString({ lineWidth: 0 })}`;

  const meta = new Document({ 'instance-id': 'labforge-build', 'local-hostname': BUILD_HOSTNAME });
  const metaData = `${headerLine(source)}\n${meta.toString({ lineWidth: 0 })}`;
  return { userData, metaData };
}
