// labforge setup's decisions, from host facts (planSetup is pure), and a dry run on this host that changes nothing.
// Nothing here installs a package, starts a daemon or touches /dev/kvm.
import fs from 'node:fs';
import { execa } from 'execa';
import {
  candidatePackages,
  commandLine,
  groupsOf,
  type HostFacts,
  hostPackages,
  KVM_RULE,
  KVM_RULE_FILE,
  parseOsRelease,
  planSetup,
} from '../../../src/lifecycle/host/setup.js';
import { SetupUnsupportedError } from '../../../src/errors.js';
import { cli } from '../../support.js';

const DEBIAN = parseOsRelease(
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
);
const UBUNTU = parseOsRelease(
  'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
);
const FEDORA = parseOsRelease(
  'NAME="Fedora Linux"\nVERSION_ID=41\nID=fedora\nPRETTY_NAME="Fedora Linux 41 (Server Edition)"\n',
);

/** A fresh machine: nothing installed, no daemon, root in a container without systemd. */
function bare(os = DEBIAN, over: Partial<HostFacts> = {}): HostFacts {
  return {
    os,
    root: true,
    systemd: false,
    installed: [],
    onPath: [],
    running: [],
    userGroups: [],
    githubRunner: false,
    ...over,
  };
}
/** The same machine after setup ran. */
function ready(os = DEBIAN, over: Partial<HostFacts> = {}): HostFacts {
  return bare(os, { installed: candidatePackages({ os }, true), running: ['virtlogd', 'libvirtd'], ...over });
}
const commands = (f: HostFacts, opts = {}) => planSetup(f, opts).actions.map((a) => a.command.join(' '));

test('os-release is read with its quotes removed; Ubuntu is a Debian-family host', () => {
  expect(UBUNTU).toEqual({ id: 'ubuntu', idLike: ['debian'], prettyName: 'Ubuntu 24.04.1 LTS' });
  expect(planSetup(bare(UBUNTU)).family).toBe('debian');
  expect(planSetup(bare(FEDORA)).family).toBe('fedora');
});

test('a bare Debian 12 container: apt-get update, one install of everything missing (packer from the archive), then virtlogd and libvirtd by hand', () => {
  const c = commands(bare());
  expect(c[0]).toBe('apt-get update -qq');
  expect(c[1]).toBe(
    `apt-get install -y -qq --no-install-recommends ${[...hostPackages('debian'), 'packer'].join(' ')}`,
  );
  expect(c.slice(2)).toEqual(['virtlogd -d', 'libvirtd -d']);
  expect(planSetup(bare()).actions[1].env).toEqual({ DEBIAN_FRONTEND: 'noninteractive' });
});

test('a second run on a ready host does nothing (idempotent), and says what it found', () => {
  const plan = planSetup(ready(), { withTestTools: true });
  expect(plan.actions).toEqual([]);
  expect(plan.present).toEqual(expect.arrayContaining(['libvirtd: running']));
});

test('only the missing packages are installed; with systemd libvirtd is enabled with systemctl', () => {
  const f = ready(DEBIAN, {
    installed: candidatePackages({ os: DEBIAN }).filter((p) => p !== 'xorriso' && p !== 'vagrant-libvirt'),
    running: [],
    systemd: true,
  });
  expect(commands(f)).toEqual([
    'apt-get update -qq',
    'apt-get install -y -qq --no-install-recommends vagrant-libvirt xorriso',
    'systemctl enable --now libvirtd.service',
  ]);
});

test('--with-test-tools adds everything .ci/run installed before setup existed; --no-start starts nothing', () => {
  const before =
    'packer vagrant vagrant-libvirt ruby shellcheck libvirt-clients libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils xorriso genisoimage debootstrap dnsmasq-base fdisk extlinux syslinux-common e2fsprogs iproute2 iptables openssh-client python3 ca-certificates cloud-init'.split(
      ' ',
    );
  const plan = planSetup(bare(), { withTestTools: true, start: false });
  const installed = plan.actions.find((a) => a.command[1] === 'install')!.command;
  expect(installed).toEqual(expect.arrayContaining(before));
  expect(plan.actions.map((a) => a.command[0])).toEqual(['apt-get', 'apt-get']);
});

test("Fedora: dnf installs the lab's packages; Packer, which Fedora does not ship, is left to the user unless on PATH", () => {
  const plan = planSetup(bare(FEDORA, { systemd: true }));
  expect(plan.actions.map((a) => a.command.join(' '))).toEqual([
    `dnf install -y -q ${hostPackages('fedora').join(' ')}`,
    'systemctl enable --now libvirtd.service',
  ]);
  expect(plan.actions[0].command).not.toContain('packer');
  expect(plan.manual).toEqual([
    expect.stringMatching(
      /^packer: setup installs it from the distribution only on Debian; on Fedora Linux 41 \(Server Edition\) install Packer from HashiCorp's repository/,
    ),
  ]);
  expect(planSetup(bare(FEDORA, { systemd: true, onPath: ['packer'] })).manual).toEqual([]);
});

test('Ubuntu with Packer from hashicorp/setup-packer on PATH: apt for the rest, nothing left to the user', () => {
  const plan = planSetup(bare(UBUNTU, { onPath: ['packer'] }));
  expect(plan.actions[1].command).not.toContain('packer');
  expect(plan.manual).toEqual([]);
});

test('the user who ran sudo joins the libvirt group once; root alone needs no group', () => {
  expect(commands(ready(DEBIAN, { user: 'runner', userGroups: ['adm', 'docker'] }))).toEqual([
    'usermod -aG libvirt runner',
  ]);
  expect(commands(ready(DEBIAN, { user: 'runner', userGroups: ['libvirt'] }))).toEqual([]);
  expect(commands(ready(DEBIAN, { user: 'root' }))).toEqual([]);
  expect(groupsOf('root:x:0:\nlibvirt:x:110:alice,runner\nkvm:x:104:runner\ndocker:x:999:alice\n', 'runner')).toEqual([
    'libvirt',
    'kvm',
  ]);
});

test('on a GitHub-hosted runner /dev/kvm is opened with the udev rule GitHub documents; not elsewhere unless asked, never with --no-kvm-udev', () => {
  const runner = ready(UBUNTU, { githubRunner: true, onPath: ['packer'] });
  const plan = planSetup(runner);
  expect(plan.actions.map((a) => a.command.join(' '))).toEqual([
    `tee ${KVM_RULE_FILE}`,
    'udevadm control --reload-rules',
    'udevadm trigger --name-match=kvm',
  ]);
  expect(plan.actions[0].input).toBe('KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n');
  expect(commands({ ...runner, kvmRule: KVM_RULE })).toEqual([]);
  expect(commands(runner, { kvmUdev: false })).toEqual([]);
  expect(commands(ready(DEBIAN))).toEqual([]);
  expect(commands(ready(DEBIAN), { kvmUdev: true })).toHaveLength(3);
});

test('--dry-run lines are shell commands: the rule file line writes exactly the rule; sudo and the apt environment are spelled out', async () => {
  const [tee] = planSetup(ready(UBUNTU, { githubRunner: true, onPath: ['packer'] })).actions;
  const line = commandLine(tee, false);
  expect(line).toBe(
    `printf '%s\\n' 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"' | tee ${KVM_RULE_FILE} >/dev/null`,
  );
  const written = await execa('bash', ['-c', line.replace(/ \| tee .*$/, '')]);
  expect(`${written.stdout}\n`).toBe(KVM_RULE);
  const [update] = planSetup(bare()).actions;
  expect(commandLine(update, true)).toBe('sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq');
  expect(commandLine(update, false)).toBe('DEBIAN_FRONTEND=noninteractive apt-get update -qq');
});

test('a host that is not Debian, Ubuntu or Fedora is refused with what to install by hand (exit code 3)', () => {
  const arch = bare(parseOsRelease('NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\n'));
  expect(() => planSetup(arch)).toThrow(SetupUnsupportedError);
  expect(() => planSetup(arch)).toThrow(
    /Arch Linux is not a Debian, Ubuntu or Fedora host; install libvirt, QEMU, Vagrant/,
  );
  expect(new SetupUnsupportedError('x').exitStatus).toBe(3);
});

test('`labforge setup --dry-run` on this host prints the commands and changes nothing', async () => {
  const groupsBefore = fs.readFileSync('/etc/group', 'utf8');
  const ruleBefore = fs.existsSync(KVM_RULE_FILE) ? fs.readFileSync(KVM_RULE_FILE, 'utf8') : undefined;
  const r = await cli(['setup', '--dry-run', '--kvm-udev', '--user', 'nobody', '--no-start']);
  expect(r.exitCode).toBe(0);
  // nobody is not in the libvirt group (and, unless a real setup put it there, the rule is missing): both would be
  // done, neither is.
  expect(r.stdout).toContain('usermod -aG libvirt nobody');
  if (ruleBefore !== KVM_RULE) expect(r.stdout).toContain('udevadm trigger --name-match=kvm');
  expect(r.stdout).not.toMatch(/libvirtd -d|systemctl/);
  expect(fs.existsSync(KVM_RULE_FILE) ? fs.readFileSync(KVM_RULE_FILE, 'utf8') : undefined).toBe(ruleBefore);
  expect(fs.readFileSync('/etc/group', 'utf8')).toBe(groupsBefore);
  const j = await cli(['setup', '--dry-run', '--json', '--user', 'nobody', '--no-start', '--no-kvm-udev']);
  expect(JSON.parse(j.stdout)).toMatchObject({ family: 'debian', commands: ['usermod -aG libvirt nobody'] });
  // On a GitHub-hosted runner the rule is the default; --no-kvm-udev still wins.
  const runner = { GITHUB_ACTIONS: 'true', RUNNER_ENVIRONMENT: 'github-hosted' };
  const onRunner = JSON.parse(
    (await cli(['setup', '--dry-run', '--json', '--user', 'nobody', '--no-start'], { env: runner })).stdout,
  );
  if (ruleBefore !== KVM_RULE) expect(onRunner.commands).toContain('udevadm trigger --name-match=kvm');
  const optedOut = JSON.parse(
    (await cli(['setup', '--dry-run', '--json', '--user', 'nobody', '--no-start', '--no-kvm-udev'], { env: runner }))
      .stdout,
  );
  expect(optedOut.commands).toEqual(['usermod -aG libvirt nobody']);
});
