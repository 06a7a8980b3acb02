// labforge setup: installs and starts what doctor checks, on Debian, Ubuntu and Fedora hosts. The one place that
// knows host packages. planSetup is pure (host facts in, commands out) so its decisions are tested without
// touching the host; readHostFacts only reads (/etc/os-release, the package database, /proc, /etc/group).
import fs from 'node:fs';
import os from 'node:os';
import { SetupNeedsRootError, SetupUnsupportedError } from '../../errors.js';
import { run, which } from '../../tools/run.js';

export type Family = 'debian' | 'fedora';

export interface HostFacts {
  /** /etc/os-release ID and ID_LIKE. */
  os: { id: string; idLike: string[]; prettyName: string };
  root: boolean;
  /** systemd is the init (/run/systemd/system exists); without it daemons are started by hand. */
  systemd: boolean;
  /** Which of the packages setup would install are installed already. */
  installed: string[];
  /** Programs on PATH that may come from elsewhere than the distribution (packer from HashiCorp). */
  onPath: string[];
  /** Running daemons by name (libvirtd, virtlogd, virtqemud). */
  running: string[];
  /** The user to add to the libvirt group (undefined for root alone). */
  user?: string;
  /** The groups that user is a member of (from /etc/group). */
  userGroups: string[];
  /** A GitHub-hosted Actions runner (GITHUB_ACTIONS=true, RUNNER_ENVIRONMENT=github-hosted). */
  githubRunner: boolean;
  /** The text of the KVM udev rule file, when it exists. */
  kvmRule?: string;
}

export interface SetupOptions {
  /** Print the commands, run none. */
  dryRun?: boolean;
  /** Also the packages the project's own tests use (the Debian test box, shellcheck, ruby, ...). */
  withTestTools?: boolean;
  /** Start libvirtd/virtlogd (default true). */
  start?: boolean;
  /** Install the udev rule that opens /dev/kvm to every user: true/false, or undefined for "on GitHub runners". */
  kvmUdev?: boolean;
  /** The user to add to the libvirt group (default: the user who ran sudo, or the current user). */
  user?: string;
}

export interface SetupAction {
  /** Why, in a user's words. */
  why: string;
  command: string[];
  /** Standard input for the command (a file written with tee). */
  input?: string;
  env?: Record<string, string>;
}

export interface SetupPlan {
  family: Family;
  actions: SetupAction[];
  /** What setup cannot do on this host and the user must (each a sentence). */
  manual: string[];
  /** What is already in place (for the report). */
  present: string[];
}

/** The rule GitHub documents for opening /dev/kvm on its runners (changelog 2024-04-02). */
export const KVM_RULE_FILE = '/etc/udev/rules.d/99-labforge-kvm.rules';
export const KVM_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n';

/** The distribution family from /etc/os-release, or undefined for one setup does not know. */
export function familyOf(osr: HostFacts['os']): Family | undefined {
  const ids = [osr.id, ...osr.idLike];
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'debian';
  if (ids.some((i) => i === 'fedora' || i === 'rhel' || i === 'centos')) return 'fedora';
  return undefined;
}

/** The host packages labforge needs (what doctor checks), by family. packer is listed separately: Debian 12 has
 *  1.6.6 in its archive; Fedora does not ship it and HashiCorp's license change took it out of the newer archives, so
 *  elsewhere it comes from HashiCorp (its repository, or hashicorp/setup-packer in GitHub Actions). */
export function hostPackages(family: Family, withTestTools = false): string[] {
  const lab =
    family === 'debian'
      ? [
          'libvirt-daemon-system',
          'libvirt-clients',
          'libvirt-daemon-driver-qemu',
          'qemu-system-x86',
          'qemu-utils',
          'vagrant',
          'vagrant-libvirt',
          'xorriso',
          'openssh-client',
        ]
      : [
          'libvirt-daemon-kvm',
          'libvirt-client',
          'qemu-kvm',
          'qemu-img',
          'vagrant',
          'vagrant-libvirt',
          'xorriso',
          'openssh-clients',
        ];
  if (!withTestTools) return lab;
  // What the tests use beyond the lab: the Debian test box (debootstrap, partitioning, extlinux), the network
  // namespace with its own libvirtd (iproute2, iptables, dnsmasq), the checks of generated files (ruby -c,
  // shellcheck, genisoimage), and cloud-init's schema check.
  const tests =
    family === 'debian'
      ? [
          'ruby',
          'shellcheck',
          'graphviz',
          'genisoimage',
          'debootstrap',
          'dnsmasq-base',
          'fdisk',
          'extlinux',
          'syslinux-common',
          'e2fsprogs',
          'iproute2',
          'iptables',
          'python3',
          'ca-certificates',
          'cloud-init',
        ]
      : [
          'ruby',
          'ShellCheck',
          'graphviz',
          'genisoimage',
          'debootstrap',
          'dnsmasq',
          'util-linux',
          'syslinux-extlinux',
          'syslinux',
          'e2fsprogs',
          'iproute',
          'iptables-nft',
          'python3',
          'ca-certificates',
          'cloud-init',
        ];
  return [...lab, ...tests];
}

/** Whether packer comes from the distribution's archive on this host. */
function packerFromArchive(o: HostFacts['os']): boolean {
  return o.id === 'debian';
}

/** The packages setup would check on this host (what readHostFacts asks the package database about). */
export function candidatePackages(facts: Pick<HostFacts, 'os'>, withTestTools = false): string[] {
  const family = familyOf(facts.os);
  if (!family) return [];
  return [...hostPackages(family, withTestTools), ...(packerFromArchive(facts.os) ? ['packer'] : [])];
}

/** Members of a group in /etc/group text (the supplementary list; a user's primary group is not listed there). */
export function groupsOf(etcGroup: string, user: string): string[] {
  return etcGroup
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && f[3].split(',').includes(user))
    .map((f) => f[0]);
}

/** What setup does on a host with these facts: only what is missing (a second run on a ready host does nothing). */
export function planSetup(facts: HostFacts, opts: SetupOptions = {}): SetupPlan {
  const family = familyOf(facts.os);
  if (!family)
    throw new SetupUnsupportedError(
      `setup: ${facts.os.prettyName || facts.os.id || 'this system'} is not a Debian, Ubuntu or Fedora host; install libvirt, QEMU, Vagrant with vagrant-libvirt, Packer and xorriso by hand (\`labforge doctor\` checks them)`,
    );
  const actions: SetupAction[] = [];
  const manual: string[] = [];
  const present: string[] = [];
  const wanted = candidatePackages(facts, opts.withTestTools);
  const missing = wanted.filter((p) => !facts.installed.includes(p));
  if (missing.length === 0) present.push(`packages: all ${wanted.length} installed`);
  else if (family === 'debian') {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    actions.push({ why: 'refresh the package lists', command: ['apt-get', 'update', '-qq'], env });
    actions.push({
      why: `install ${missing.length} missing packages`,
      command: ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing],
      env,
    });
  } else
    actions.push({
      why: `install ${missing.length} missing packages`,
      command: ['dnf', 'install', '-y', '-q', ...missing],
    });
  if (!packerFromArchive(facts.os)) {
    if (facts.onPath.includes('packer')) present.push('packer: on PATH');
    else
      manual.push(
        `packer: setup installs it from the distribution only on Debian; on ${facts.os.prettyName || facts.os.id} install Packer from HashiCorp's repository (or with hashicorp/setup-packer in GitHub Actions), then run \`labforge setup\` again`,
      );
  }

  if (opts.start !== false) {
    const up = (d: string) => facts.running.includes(d);
    if (up('libvirtd') || up('virtqemud')) present.push('libvirtd: running');
    else if (facts.systemd)
      actions.push({
        why: 'start libvirtd now and at boot',
        command: ['systemctl', 'enable', '--now', 'libvirtd.service'],
      });
    else {
      // Containers and CI machines without systemd: the daemons are started by hand (virtlogd first: libvirtd
      // hands QEMU's console output to it).
      if (!up('virtlogd')) actions.push({ why: 'start virtlogd (no systemd here)', command: ['virtlogd', '-d'] });
      actions.push({ why: 'start libvirtd (no systemd here)', command: ['libvirtd', '-d'] });
    }
  }

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
    if (facts.kvmRule === KVM_RULE) present.push(`${KVM_RULE_FILE}: in place`);
    else
      actions.push(
        {
          why: 'open /dev/kvm to every user (the rule GitHub documents for its runners)',
          command: ['tee', KVM_RULE_FILE],
          input: KVM_RULE,
        },
        { why: 'load the rule', command: ['udevadm', 'control', '--reload-rules'] },
        { why: 'apply it to /dev/kvm now', command: ['udevadm', 'trigger', '--name-match=kvm'] },
      );
  }
  return { family, actions, manual, present };
}

/** A command as a shell line, for --dry-run and the log. */
export function commandLine(a: SetupAction, sudo: boolean): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const env = Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${q(v)}`);
  const line = [
    ...(sudo ? ['sudo'] : []),
    ...(env.length ? (sudo ? ['env', ...env] : env) : []),
    ...a.command.map(q),
  ].join(' ');
  if (a.input === undefined) return line;
  const oneLine = /^[^\n]*\n$/.test(a.input);
  return `printf ${oneLine ? "'%s\\n'" : "'%s'"} ${q(oneLine ? a.input.slice(0, -1) : a.input)} | ${line} >/dev/null`;
}

export function parseOsRelease(text: string): HostFacts['os'] {
  const get = (k: string) => (new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '').trim().replace(/^["']|["']$/g, '');
  return { id: get('ID'), idLike: get('ID_LIKE').split(/\s+/).filter(Boolean), prettyName: get('PRETTY_NAME') };
}

function runningDaemons(): string[] {
  const names = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S)/.exec(st);
      if (m && m[2] !== 'Z') names.add(m[1]);
    } catch {
      /* gone */
    }
  }
  return ['libvirtd', 'virtlogd', 'virtqemud'].filter((n) => names.has(n));
}

async function installedPackages(family: Family, packages: string[]): Promise<string[]> {
  if (packages.length === 0) return [];
  if (family === 'debian') {
    if (!which('dpkg-query')) return [];
    const r = await run('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...packages], { okCodes: [1] });
    return r.stdout
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length >= 4 && f.slice(1).join(' ') === 'install ok installed')
      .map((f) => f[0]);
  }
  if (!which('rpm')) return [];
  const r = await run('rpm', ['-q', '--qf', '%{NAME}\\n', ...packages], {
    okCodes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
  });
  const names = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return packages.filter((p) => names.has(p));
}

/** Reads this host's facts (nothing is changed). */
export async function readHostFacts(opts: SetupOptions = {}): Promise<HostFacts> {
  let osText = '';
  try {
    osText = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    /* unknown system */
  }
  const osr = parseOsRelease(osText);
  const family = familyOf(osr);
  const root = process.getuid?.() === 0;
  const user = opts.user ?? (root ? process.env.SUDO_USER : os.userInfo().username);
  let etcGroup = '';
  try {
    etcGroup = fs.readFileSync('/etc/group', 'utf8');
  } catch {
    /* none */
  }
  let kvmRule: string | undefined;
  try {
    kvmRule = fs.readFileSync(KVM_RULE_FILE, 'utf8');
  } catch {
    kvmRule = undefined;
  }
  return {
    os: osr,
    root,
    systemd: fs.existsSync('/run/systemd/system'),
    installed: family ? await installedPackages(family, candidatePackages({ os: osr }, opts.withTestTools)) : [],
    onPath: ['packer'].filter((t) => which(t)),
    running: runningDaemons(),
    user: user || undefined,
    userGroups: user ? groupsOf(etcGroup, user) : [],
    githubRunner: process.env.GITHUB_ACTIONS === 'true' && process.env.RUNNER_ENVIRONMENT === 'github-hosted',
    kvmRule,
  };
}

export interface SetupResult {
  plan: SetupPlan;
  /** The commands run (or, with --dry-run, that would run). */
  commands: string[];
}

/** Runs the plan (as root, or through sudo), printing one line per command; --dry-run only prints. */
export async function setup(opts: SetupOptions, print: (line: string) => void): Promise<SetupResult> {
  const facts = await readHostFacts(opts);
  const plan = planSetup(facts, opts);
  const sudo = !facts.root;
  if (sudo && !opts.dryRun && plan.actions.length && !which('sudo'))
    throw new SetupNeedsRootError(
      `setup: ${plan.actions.length} commands need root here and sudo is not installed; run \`labforge setup\` as root (\`--dry-run\` shows them)`,
    );
  const commands = plan.actions.map((a) => commandLine(a, sudo));
  for (const [i, a] of plan.actions.entries()) {
    print(opts.dryRun ? `# ${a.why}\n${commands[i]}` : `[${i + 1}/${plan.actions.length}] ${a.why}: ${commands[i]}`);
    if (opts.dryRun) continue;
    const [tool, ...args] = sudo
      ? ['sudo', ...(a.env ? ['env', ...Object.entries(a.env).map(([k, v]) => `${k}=${v}`)] : []), ...a.command]
      : a.command;
    // libvirtd and virtlogd live in /usr/sbin, which a non-login root shell may not have on PATH.
    const resolved =
      which(tool) ?? ['/usr/sbin', '/sbin'].map((d) => `${d}/${tool}`).find((p) => fs.existsSync(p)) ?? tool;
    await run(resolved, args, { env: sudo ? undefined : a.env, input: a.input, tailLines: 20 });
  }
  return { plan, commands };
}
