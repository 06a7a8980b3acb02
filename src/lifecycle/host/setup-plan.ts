// labforge setup's plan: host facts in, the commands that set this host up out (pure; setup.ts reads the facts and
// runs the plan). One plan per host: the release decides where Vagrant, vagrant-libvirt and Packer come from
// (setup-releases.ts); what is installed already is left alone, so a second run does nothing. Files are written
// atomically by setup/write-file.sh and HashiCorp's key is checked by its fingerprint (setup/install-key.sh); both
// scripts are printed inline, so `--dry-run` shows exactly what runs. Every value in a printed command is quoted for
// the shell, and values that come from the user are checked first.
import { SetupUnsupportedError, UsageError } from '../../errors.js';
import {
  FILES,
  KEY_TOOLS,
  LAB_PACKAGES,
  PLUGIN_BUILD_PACKAGES,
  releaseOf,
  TEST_PACKAGES,
  type Family,
  type Release,
} from './setup-releases.js';
import { APT_PIN, hashicorpRepo, writeFile } from './setup-hashicorp.js';
import type { HostFacts, SetupAction, SetupOptions, SetupPlan } from './setup-types.js';

export type { HostFacts, SetupAction, SetupOptions, SetupPlan } from './setup-types.js';
export { APT_PIN, aptSource, RPM_REPO } from './setup-hashicorp.js';

/** The rule GitHub documents for opening /dev/kvm on its runners (changelog 2024-04-02). */
export const KVM_RULE_FILE = '/etc/udev/rules.d/99-labforge-kvm.rules';
export const KVM_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n';

/** A user name as useradd accepts it by default (portable characters, no leading '-'), up to 32 characters. */
export function checkUserName(source: string, name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$/.test(name))
    throw new UsageError(
      `setup ${source}: ${JSON.stringify(name)} is not a user name (letters, digits, '_', '.', '-', at most 32, not starting with '-')`,
    );
  return name;
}

const unique = (xs: string[]) => [...new Set(xs)];

/** What setup does on a host with these facts: only what is missing (a second run on a ready host does nothing). */
export function planSetup(facts: HostFacts, opts: SetupOptions = {}): SetupPlan {
  const match = releaseOf(facts.os);
  if (!match)
    throw new SetupUnsupportedError(
      `setup: ${facts.os.prettyName || facts.os.id || 'this system'} is not a release setup knows (Debian 12-13, Ubuntu 22.04/24.04/26.04, Fedora 42-44); ` +
        `install libvirt, QEMU, dnsmasq, Vagrant with vagrant-libvirt, HashiCorp's Packer and xorriso by hand (\`labforge doctor\` checks them)`,
    );
  const { release: rel } = match;
  const family = rel.family;
  const actions: SetupAction[] = [];
  const manual: string[] = [];
  const present: string[] = [];
  const notes: string[] = match.guessed ? [match.guessed] : [];
  if (rel.note) notes.push(`${rel.note}: ${sourcesSentence(rel)}`);

  // Where each tool comes from here. A Vagrant of HashiCorp's already installed keeps its own Ruby: the archive's
  // vagrant-libvirt cannot load into it, so the plugin is built for it instead.
  let vagrantFrom = rel.vagrant;
  let pluginFrom = rel.vagrantLibvirt;
  if (facts.vagrant?.hashicorp && vagrantFrom === 'archive') {
    vagrantFrom = 'hashicorp';
    pluginFrom = 'plugin';
    notes.push(
      `${facts.vagrant.file} is HashiCorp's Vagrant: setup keeps it and installs vagrant-libvirt as its plugin`,
    );
    if (family === 'fedora')
      manual.push(
        `vagrant-libvirt: with HashiCorp's Vagrant on Fedora the plugin needs libraries rebuilt (vagrant-libvirt's installation guide); ` +
          `replace it with Fedora's (\`dnf remove vagrant && dnf install vagrant vagrant-libvirt\`), then run \`labforge setup\` again`,
      );
  }
  const packerWanted = !facts.packer.hashicorp;
  if (!packerWanted) present.push(`packer: HashiCorp's Packer at ${facts.packer.hashicorp}`);
  for (const other of facts.packer.others) notes.push(`not HashiCorp's Packer, left alone: ${other}`);
  const pluginInstalled = facts.vagrantPlugins?.includes('vagrant-libvirt') ?? false;

  const archive = [
    ...LAB_PACKAGES[family],
    ...(vagrantFrom === 'archive' ? ['vagrant'] : []),
    ...(pluginFrom === 'archive' ? ['vagrant-libvirt'] : []),
    ...(packerWanted && rel.packer === 'archive' ? ['packer'] : []),
    ...(pluginFrom === 'plugin' && family === 'debian' && !pluginInstalled ? PLUGIN_BUILD_PACKAGES : []),
    ...(opts.withTestTools ? TEST_PACKAGES[family] : []),
  ];
  const fromHashicorp = [
    ...(vagrantFrom === 'hashicorp' && !facts.vagrant?.hashicorp ? ['vagrant'] : []),
    ...(packerWanted && rel.packer === 'hashicorp' ? ['packer'] : []),
  ];
  const missing = unique([...archive.filter((p) => !facts.installed.includes(p)), ...fromHashicorp]);
  if (missing.length === 0) present.push(`packages: all ${unique(archive).length} installed`);
  else {
    const env = family === 'debian' ? { DEBIAN_FRONTEND: 'noninteractive' } : undefined;
    const install = (why: string, packages: string[]): SetupAction =>
      family === 'debian'
        ? { why, command: ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages], env }
        : { why, command: ['dnf', 'install', '-y', '-q', ...packages] };
    const update: SetupAction = { why: 'refresh the package lists', command: ['apt-get', 'update', '-qq'], env };
    if (family === 'debian') actions.push(update);
    const keyTools = KEY_TOOLS[family].filter((p) => !facts.installed.includes(p));
    if (fromHashicorp.length) {
      if (keyTools.length) actions.push(install("install what fetches and checks HashiCorp's key", keyTools));
      const repoActions = hashicorpRepo(facts, rel, present);
      actions.push(...repoActions);
      if (family === 'debian' && repoActions.length) actions.push({ ...update, why: 'read the new repository' });
    }
    const rest = missing.filter((p) => !(fromHashicorp.length && keyTools.includes(p)));
    if (rest.length)
      actions.push(
        install(
          `install ${rest.length} missing packages${fromHashicorp.length ? ` (${fromHashicorp.join(' and ')} from HashiCorp)` : ''}`,
          rest,
        ),
      );
  }
  if (family === 'debian' && vagrantFrom === 'archive' && (fromHashicorp.length || facts.hashicorpRepo)) {
    if (facts.files[FILES.aptPin] !== APT_PIN) {
      // Before the last install: the pin decides which vagrant apt takes, then and at every upgrade.
      const last = actions.map((a) => a.command[1]).lastIndexOf('install');
      const pin = writeFile(`keep apt from taking HashiCorp's vagrant (${FILES.aptPin})`, FILES.aptPin, APT_PIN);
      actions.splice(last >= 0 ? last : actions.length, 0, pin);
    }
  }

  if (pluginFrom === 'plugin' && family === 'debian') {
    if (pluginInstalled) present.push('vagrant-libvirt: a Vagrant plugin of this user');
    else
      actions.push({
        why: `build and install vagrant-libvirt as a Vagrant plugin of ${facts.root ? 'root' : 'this user'} (other users run the same command for themselves)`,
        command: ['vagrant', 'plugin', 'install', 'vagrant-libvirt'],
        asUser: true,
      });
  }

  if (opts.start !== false) actions.push(...daemons(facts, family, present));

  if (facts.user && facts.user !== 'root') {
    if (facts.userGroups.includes('libvirt')) present.push(`${facts.user}: in the libvirt group`);
    else
      actions.push({
        why: `let ${facts.user} use the system libvirt (takes effect at the next login)`,
        command: ['usermod', '-aG', 'libvirt', facts.user],
      });
  }

  const kvmUdev = opts.kvmUdev ?? facts.githubRunner;
  if (kvmUdev) {
    if (facts.files[KVM_RULE_FILE] === KVM_RULE) present.push(`${KVM_RULE_FILE}: in place`);
    else
      actions.push(
        writeFile('open /dev/kvm to every user (the rule GitHub documents for its runners)', KVM_RULE_FILE, KVM_RULE),
        { why: 'load the rule', command: ['udevadm', 'control', '--reload-rules'] },
        { why: 'apply it to /dev/kvm now', command: ['udevadm', 'trigger', '--name-match=kvm'] },
      );
  }
  return { family, release: `${rel.id} ${rel.version}`, actions, manual, present, notes };
}

function sourcesSentence(rel: Release): string {
  const from = (s: string) =>
    s === 'archive' ? 'the distribution' : s === 'plugin' ? 'vagrant plugin install' : 'HashiCorp';
  return `Vagrant from ${from(rel.vagrant)}, vagrant-libvirt from ${from(rel.vagrantLibvirt)}, Packer from ${from(rel.packer)}`;
}

/** libvirt's daemons: with systemd, Debian's monolithic libvirtd, Fedora's modular daemons (their sockets, what Fedora
 *  enables by default since 35); without it (containers, CI machines), started by hand, virtlogd first. */
function daemons(facts: HostFacts, family: Family, present: string[]): SetupAction[] {
  const up = (d: string) => facts.running.includes(d);
  if (up('libvirtd') || up('virtqemud')) {
    present.push(`${up('libvirtd') ? 'libvirtd' : 'virtqemud'}: running`);
    return [];
  }
  if (facts.systemd)
    return [
      family === 'debian'
        ? { why: 'start libvirtd now and at boot', command: ['systemctl', 'enable', '--now', 'libvirtd.service'] }
        : {
            why: "start libvirt's QEMU, network and storage daemons now and at boot (socket-activated)",
            command: ['systemctl', 'enable', '--now', 'virtqemud.socket', 'virtnetworkd.socket', 'virtstoraged.socket'],
          },
    ];
  return [
    ...(up('virtlogd') ? [] : [{ why: 'start virtlogd (no systemd here)', command: ['virtlogd', '-d'] }]),
    { why: 'start libvirtd (no systemd here)', command: ['libvirtd', '-d'] },
  ];
}

/** A word for the shell: as it is when it holds no special character, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A comment line: control characters shown escaped, so no text can end the comment and start a command. */
export function shellComment(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `# ${text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
}

/** A command as a shell line, for --dry-run and the log: every value quoted; standard input given by printf. */
export function commandLine(a: SetupAction, sudo: boolean): string {
  const viaSudo = sudo && !a.asUser;
  const env = Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${shellWord(v)}`);
  const line = [
    ...(viaSudo ? ['sudo'] : []),
    ...(env.length ? (viaSudo ? ['env', ...env] : env) : []),
    ...a.command.map(shellWord),
  ].join(' ');
  if (a.input === undefined) return line;
  return `printf '%s' ${shellWord(a.input)} | ${line}`;
}
