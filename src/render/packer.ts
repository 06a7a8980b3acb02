// The Packer recipe that bakes the lab's base box: a Fedora image, fixed up by the guest scripts, packed as a
// Vagrant libvirt box. Split by concern like chef/bento: plugins, variables, sources, build; the answer files
// (kickstart or NoCloud seed) and the guest scripts beside them.
//
// The bake contract (what src/tools/packer.ts and the bake lifecycle rely on) is PACKER_BAKE below.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Lab } from '../lab/model.js';
import type { RenderContext } from './context.js';
import { hcl } from './escape.js';
import { headerLine, renderCloudInit, vagrantKey } from './cloud-init.js';
import { renderKickstart } from './kickstart.js';

/** How to run the rendered recipe. All paths are relative to `dir` (relative to the lab's output directory). */
export const PACKER_BAKE = {
  /** The working directory of every packer command. */
  dir: 'packer',
  /** Packer >= 1.7 only: `packer init <initFile>` first (Packer 1.6.6 has the plugins built in and no init). */
  initFile: 'plugins/plugins.pkr.hcl',
  /** `packer build -var ssh_private_key_file=<Vagrant's insecure private key> .` */
  keyVariable: 'ssh_private_key_file',
  /** The box the build writes. */
  box: 'box/labforge.box',
  /** Packer's output directory for the disk image; must not exist when a build starts. */
  outputDirectory: 'build',
  /** The build VM's serial console, for diagnosing a build that never gets ssh. */
  serialLog: 'serial.log',
} as const;

/** The repo's own Packer sources (templates and guest scripts): packer/ at the repo root, seen from src/render/
 *  under ts-jest and from dist/render/ when compiled. */
export const PACKER_SOURCES = fileURLToPath(new URL('../../packer/', import.meta.url));

/** The guest scripts, in the order the build runs them. */
export const GUEST_SCRIPTS = {
  /** Before the reboot: each one changes the guest and checks its own result. */
  provision: ['10-update.sh', '20-firewalld.sh', '30-selinux.sh', '40-guest-agent.sh', '50-vagrant-user.sh'],
  reboot: '60-reboot.sh',
  /** After the reboot: fails the build unless the changes took effect. */
  verify: '80-verify.sh',
  cleanup: '90-cleanup.sh',
} as const;

export function guestScriptOrder(): string[] {
  const s = GUEST_SCRIPTS;
  return [...s.provision, s.reboot, s.verify, s.cleanup];
}

/** The library every guest script sources (log and die under the script's tag, the root check, the package
 *  manager, ...): packer/scripts/lib.sh. Packer uploads each shell-provisioner script alone, so the build uploads
 *  the library first, by itself, to `path`. That is under /var/tmp, which survives the reboot step (/tmp is a
 *  tmpfs on Fedora) and is writable by the ssh user the upload runs as. The scripts name the same path in their
 *  `source "${LABFORGE_LIB:-...}"` line, and 90-cleanup.sh removes `dir`. */
export const GUEST_LIB = {
  file: 'lib.sh',
  dir: '/var/tmp/labforge',
  path: '/var/tmp/labforge/lib.sh',
} as const;

/** Packer runs Go's text/template over most builder and provisioner settings after HCL has been evaluated, so
 *  a `{{` in a lab value would start a template action: it is written as an action that prints `{{`. */
export function packerTemplateText(value: string): string {
  return value.replace(/\{\{/g, '{{"{{"}}');
}

/** A lab value as an HCL string that Packer sees unchanged: template-escaped, then HCL-escaped. */
function str(value: string): string {
  return hcl(packerTemplateText(value));
}

/** A value passed to the guest scripts in environment_vars. Packer 1.6.6 runs those through Go's text/template
 *  twice (newer releases may not), so no escape of `{{` is right for every release: such a value is refused. */
function scriptEnvValue(what: string, value: string): string {
  if (value.includes('{{')) throw new Error(`${what} contains "{{", which Packer would read as a template action: ${JSON.stringify(value)}`);
  return value;
}

/** Lines of `key = value` attributes, aligned the way `packer fmt` aligns them. */
function attrs(indent: string, pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)} = ${v}`);
}

/** `# text` lines, one per line of text. */
function comments(indent: string, text: string): string[] {
  return text.split('\n').map((l) => `${indent}# ${l}`);
}

function variable(name: string, type: string, description: string, def?: string): string[] {
  const pairs: [string, string][] = [
    ['type', type],
    ['description', hcl(description)],
  ];
  if (def !== undefined) pairs.push(['default', def]);
  return [`variable ${hcl(name)} {`, ...attrs('  ', pairs), '}', ''];
}

interface Settings {
  imageUrl: string;
  imageChecksum: string;
  diskSize: string;
  accelerator: 'kvm' | 'tcg';
  cpuModel: string;
  sshTimeout: string;
}

function settings(lab: Lab, ctx: RenderContext): Settings {
  const kvm = ctx.driver === 'kvm';
  let imageUrl = lab.image.url;
  let imageChecksum = lab.image.checksum;
  if (lab.image.local !== undefined) {
    if (lab.image.method !== 'cloud') throw new Error('image.local needs image.method "cloud"');
    const sha = ctx.localImageSha256;
    if (!sha || !/^[0-9a-f]{64}$/i.test(sha)) {
      throw new Error(`image.local is set but the render context has no sha256 of ${lab.image.local} (got ${JSON.stringify(sha)})`);
    }
    // A proper file URL: spaces, '%', '#', '?' and '{' in the path are percent-encoded.
    imageUrl = pathToFileURL(lab.image.local).href;
    imageChecksum = `sha256:${sha.toLowerCase()}`;
  }
  return {
    imageUrl,
    imageChecksum,
    diskSize: `${lab.image.diskGiB * 1024}M`,
    accelerator: kvm ? 'kvm' : 'tcg',
    // qemu64 is what TCG emulates well; under KVM the host's CPU (newer kernels need more than qemu64).
    cpuModel: kvm ? 'host' : 'qemu64',
    // An install from the netinst ISO downloads and installs every package before ssh comes up; under TCG
    // (no KVM) everything runs 10-50 times slower.
    sshTimeout: lab.image.method === 'iso' ? (kvm ? '60m' : '4h') : kvm ? '15m' : '30m',
  };
}

function renderPlugins(source: string): string {
  return [
    headerLine(source),
    '#',
    '# Packer 1.7 and later: run `packer init plugins/plugins.pkr.hcl` once to install the plugins the recipe uses.',
    '# This file sits in its own folder on purpose: Packer 1.6.6 (Debian 12) has both plugins built in, has no',
    '# `packer init` and rejects required_plugins, and `packer build .` reads only the *.pkr.hcl of its own folder.',
    'packer {',
    '  required_version = ">= 1.7.0"',
    '  required_plugins {',
    '    qemu = {',
    '      source  = "github.com/hashicorp/qemu"',
    '      version = ">= 1.0.0"',
    '    }',
    '    vagrant = {',
    '      source  = "github.com/hashicorp/vagrant"',
    '      version = ">= 1.0.0"',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

function renderVariables(lab: Lab, ctx: RenderContext, s: Settings, source: string): string {
  const cloud = lab.image.method === 'cloud';
  return [
    headerLine(source),
    '#',
    "# The recipe's inputs, with this lab's values as defaults. Override one with `-var name=value`.",
    '',
    ...variable(
      'image_url',
      'string',
      cloud
        ? 'The Fedora Cloud Base Generic qcow2 the box starts from (image.url, or image.local as a file:// URL).'
        : 'The Fedora netinst ISO to install from (image.url).',
      str(s.imageUrl),
    ),
    ...variable(
      'image_checksum',
      'string',
      'Checksum of image_url: sha256:<hex>, or file:<URL of a CHECKSUM file> (downloaded by packer validate and build).',
      str(s.imageChecksum),
    ),
    ...variable(
      'disk_size',
      'string',
      cloud
        ? "Size of the box's disk (image.disk). The image is grown to it; Packer records it as the box's virtual_size, so it must be the real size."
        : "Size of the box's disk (image.disk), the blank disk Fedora is installed on; Packer records it as the box's virtual_size.",
      str(s.diskSize),
    ),
    ...variable('cpus', 'number', 'CPUs of the build VM (image.cpus).', hcl(lab.image.cpus)),
    ...variable('memory', 'number', 'Memory of the build VM in MiB (image.memory).', hcl(lab.image.memoryMiB)),
    ...variable(
      'accelerator',
      'string',
      'QEMU accelerator: kvm, or tcg (software emulation) where /dev/kvm is not usable. The box\'s Vagrantfile gets libvirt driver "kvm" or "qemu" to match.',
      str(s.accelerator),
    ),
    ...variable('cpu_model', 'string', 'QEMU -cpu model of the build VM: host under KVM, qemu64 under TCG.', str(s.cpuModel)),
    ...variable('headless', 'bool', 'Run the build VM without a window (its screen stays reachable over VNC).', 'true'),
    ...variable(
      'ssh_private_key_file',
      'string',
      "Private half of Vagrant's insecure key (the vagrant gem's keys/vagrant). No default: the bake passes -var ssh_private_key_file=<path>.",
    ),
    ...variable('ssh_timeout', 'string', 'How long to wait for the build VM to accept ssh (and to come back after its reboot).', str(s.sshTimeout)),
    ...variable('update', 'bool', 'Update all packages in the guest (image.update).', hcl(lab.image.update)),
    ...variable(
      'vagrant_public_key',
      'string',
      "Vagrant's insecure public key: the box accepts it for the vagrant user, as every Vagrant box does.",
      hcl(scriptEnvValue('the Vagrant public key', vagrantKey(ctx))),
    ),
    ...variable('vm_name', 'string', "File name of the build VM's disk image under build/.", str('labforge-build.qcow2')),
    ...variable('serial_log', 'string', "File the build VM's serial console is written to: the place to look when ssh never comes up.", str(PACKER_BAKE.serialLog)),
  ].join('\n');
}

function renderSources(lab: Lab, source: string): string {
  const cloud = lab.image.method === 'cloud';
  const method = cloud
    ? [
        ...comments(
          '  ',
          'Cloud method: the downloaded image is the disk (copied, then grown to disk_size). cloud-init in it reads\nthe NoCloud seed from a CD labelled "cidata"; Packer builds that CD with xorriso or mkisofs from the host.',
        ),
        ...attrs('  ', [
          ['disk_image', 'true'],
          ['iso_url', 'var.image_url'],
          ['iso_checksum', 'var.image_checksum'],
          ['cd_files', '["cidata/user-data", "cidata/meta-data"]'],
          ['cd_label', '"cidata"'],
        ]),
      ]
    : [
        ...comments(
          '  ',
          'ISO method: boot the netinst ISO, install on a blank disk of disk_size. Anaconda fetches the kickstart\nfrom the HTTP server Packer runs for the build (http_directory).',
        ),
        ...attrs('  ', [
          ['iso_url', 'var.image_url'],
          ['iso_checksum', 'var.image_checksum'],
          ['http_directory', '"http"'],
          ['boot_wait', '"10s"'],
        ]),
        ...comments(
          '  ',
          'At the ISO\'s GRUB menu: select "Install Fedora" (the default entry tests the media first), edit it (e),\ngo to its linux line, append the kickstart arguments, boot it (F10).',
        ),
        ...attrs('  ', [['boot_command', '["<wait><up><wait>e<wait><down><down><end> inst.text inst.ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg<wait><f10>"]']]),
      ];
  return [
    headerLine(source),
    '#',
    '# The build VM. Packer reaches it over user-mode networking (ssh through a port forwarded on 127.0.0.1), so',
    '# the host needs no bridge.',
    'source "qemu" "fedora" {',
    ...method,
    '',
    ...comments(
      '  ',
      "The vagrant post-processor writes disk_size into the box's metadata.json as its virtual_size. The finished\ndisk is compressed (qemu-img convert -c): a smaller box.img is faster to add and to upload into the pool.",
    ),
    ...attrs('  ', [
      ['disk_size', 'var.disk_size'],
      ['format', '"qcow2"'],
      ['disk_compression', 'true'],
      ['disk_interface', '"virtio"'],
      ['net_device', '"virtio-net"'],
      ['output_directory', hcl(PACKER_BAKE.outputDirectory)],
      ['vm_name', 'var.vm_name'],
    ]),
    '',
    ...attrs('  ', [
      ['accelerator', 'var.accelerator'],
      ['cpus', 'var.cpus'],
      ['memory', 'var.memory'],
      ['headless', 'var.headless'],
    ]),
    '  qemuargs = [',
    '    ["-cpu", var.cpu_model],',
    '    ["-serial", "file:${var.serial_log}"],',
    '  ]',
    '',
    ...comments(
      '  ',
      "Packer logs in the way Vagrant will: as vagrant, with Vagrant's insecure key. Authentication fails until\ncloud-init (or the kickstart) has set the key up, hence the many handshake attempts.",
    ),
    ...attrs('  ', [
      ['ssh_username', '"vagrant"'],
      ['ssh_private_key_file', 'var.ssh_private_key_file'],
      ['ssh_timeout', 'var.ssh_timeout'],
      ['ssh_handshake_attempts', '100'],
      ['shutdown_command', '"sudo -S shutdown -P now"'],
    ]),
    '}',
    '',
  ].join('\n');
}

function scriptProvisioner(scripts: string[], before: [string, string][] = [], after: [string, string][] = []): string[] {
  const list = scripts.length === 1 ? [['script', hcl(`scripts/${scripts[0]}`)] as [string, string]] : [];
  return [
    '  provisioner "shell" {',
    ...attrs('    ', [
      ...before,
      ['execute_command', 'local.execute_command'],
      ['environment_vars', 'local.script_env'],
      ...list,
      ...after,
    ]),
    ...(scripts.length > 1 ? ['    scripts = [', ...scripts.map((s) => `      ${hcl(`scripts/${s}`)},`), '    ]'] : []),
    '  }',
  ];
}

function renderBuild(source: string): string {
  const s = GUEST_SCRIPTS;
  return [
    headerLine(source),
    '#',
    '# What happens in the build VM: the guest scripts (scripts/) fix the image up, a reboot applies the kernel',
    '# arguments, a check proves the result, a clean-up prepares it for cloning; then it is packed as a box.',
    '',
    '# Packer 1.6.6 is the oldest release that builds this recipe (plugins/ holds what Packer 1.7+ needs).',
    'packer {',
    '  required_version = ">= 1.6.6"',
    '}',
    '',
    'locals {',
    ...comments(
      '  ',
      'The scripts run as root through sudo (-n: fail rather than wait for a password). They are static files: every\nlab value reaches them as an environment variable, never as script text.',
    ),
    '  execute_command = "sudo -n env {{ .Vars }} bash {{ .Path }}"',
    '  script_env = [',
    '    "LABFORGE_UPDATE=${var.update}",',
    '    "LABFORGE_VAGRANT_PUBKEY=${var.vagrant_public_key}",',
    '  ]',
    '}',
    '',
    'build {',
    '  sources = ["source.qemu.fedora"]',
    '',
    ...comments(
      '  ',
      [
        `The scripts source ${GUEST_LIB.path}, but Packer uploads each script alone: the library goes up first.`,
        "The file provisioner creates no directories (over scp, a missing directory would become a file holding the",
        'library), so the directory is made first, by the ssh user the upload runs as: no sudo here, as a directory',
        "of root's would refuse the upload. Under /var/tmp it survives the reboot; 90-cleanup.sh removes it.",
      ].join('\n'),
    ),
    '  provisioner "shell" {',
    `    inline = [${hcl(`mkdir -p ${GUEST_LIB.dir}`)}]`,
    '  }',
    '  provisioner "file" {',
    ...attrs('    ', [
      ['source', hcl(`scripts/${GUEST_LIB.file}`)],
      ['destination', hcl(GUEST_LIB.path)],
    ]),
    '  }',
    '',
    ...comments('  ', 'Each script changes one thing and checks its own result.'),
    ...scriptProvisioner([...s.provision]),
    '',
    ...comments('  ', 'Reboot so selinux=0 on the kernel command line takes effect. The connection drops on purpose.'),
    ...scriptProvisioner([s.reboot], [], [['expect_disconnect', 'true']]),
    '',
    ...comments(
      '  ',
      'After the reboot: fail the build unless SELinux is off, firewalld is gone and the vagrant login works.\nThe pause lets the old system go down first; the script also checks that the boot id changed.',
    ),
    ...scriptProvisioner([s.verify], [
      ['pause_before', '"30s"'],
      ['start_retry_timeout', 'var.ssh_timeout'],
    ]),
    '',
    ...comments('  ', 'Package caches, cloud-init state, machine id, ssh host keys, logs: nothing one clone should share with another.'),
    ...scriptProvisioner([s.cleanup]),
    '',
    ...comments(
      '  ',
      "The libvirt box (metadata.json, a Vagrantfile, box.img). Relative to packer/, the bake's working directory.",
    ),
    '  post-processor "vagrant" {',
    ...attrs('    ', [
      ['output', hcl(PACKER_BAKE.box)],
      ['keep_input_artifact', 'false'],
    ]),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The Packer recipe for a lab: relative path (under packer/) -> file text. Pure: the same lab, context and
 *  source give byte-identical files; it reads only the repo's own guest scripts. */
export function renderPacker(lab: Lab, ctx: RenderContext, source: string): Record<string, string> {
  const s = settings(lab, ctx);
  const files: Record<string, string> = {
    'packer/plugins/plugins.pkr.hcl': renderPlugins(source),
    'packer/variables.pkr.hcl': renderVariables(lab, ctx, s, source),
    'packer/sources.pkr.hcl': renderSources(lab, source),
    'packer/build.pkr.hcl': renderBuild(source),
  };
  if (lab.image.method === 'cloud') {
    const seed = renderCloudInit(ctx, source);
    files['packer/cidata/user-data'] = seed.userData;
    files['packer/cidata/meta-data'] = seed.metaData;
  } else {
    files['packer/http/ks.cfg'] = renderKickstart(lab, ctx, source);
  }
  // The library too: the build uploads it from there before the first script.
  for (const name of [...guestScriptOrder(), GUEST_LIB.file]) {
    files[`packer/scripts/${name}`] = fs.readFileSync(path.join(PACKER_SOURCES, 'scripts', name), 'utf8');
  }
  return files;
}
