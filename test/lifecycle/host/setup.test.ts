// labforge setup, one plan per host: each release's plan from its real os-release text (setup-fixtures.ts says where
// each comes from; src/lifecycle/host/setup-releases.ts cites where each package fact comes from), checked by the real
// tools where this Debian 12 machine has them: apt resolves each Debian plan's packages against that release's own
// index, apt parses the HashiCorp source labforge writes, shellcheck reads the scripts, sh runs them, gpg checks the
// key. Nothing here installs a package on this machine, starts a daemon or touches /dev/kvm.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import {
  APT_PIN,
  aptSource,
  commandLine,
  groupsOf,
  KVM_RULE,
  KVM_RULE_FILE,
  parseOsRelease,
  planSetup,
  RPM_REPO,
  shellComment,
  type HostFacts,
  type SetupAction,
} from '../../../src/lifecycle/host/setup.js';
import {
  FILES,
  HASHICORP,
  LAB_PACKAGES,
  PLUGIN_BUILD_PACKAGES,
  RELEASES,
} from '../../../src/lifecycle/host/setup-releases.js';
import { SetupUnsupportedError } from '../../../src/errors.js';
import { cli, requireTool, ROOT, tempDir } from '../../support.js';
import { bare, MINT_22, OS_RELEASE, RELEASE_NAMES } from './setup-fixtures.js';

const cmd = (a: SetupAction) => a.command.join(' ');
/** The plan as the lines a reader checks: scripts by name, writes by the file they write. */
function summary(f: HostFacts, opts = {}): string[] {
  return planSetup(f, opts).actions.map((a) => {
    if (a.command[0] === 'bash' && a.command[2].includes('install-key'))
      return `install-key ${a.command[4]} ${a.command[6]}`;
    if (a.command[0] === 'bash' && a.command[2].includes('mktemp') && a.input !== undefined)
      return `write ${a.command[4]}`;
    if (a.command[0] === 'bash') return `install-key ${a.command.slice(4).join(' ')}`;
    return cmd(a);
  });
}
const installs = (f: HostFacts) =>
  planSetup(f).actions.filter((a) => a.command[1] === 'install' && a.command[0] !== 'vagrant');

test('os-release is read as the file defines it: quotes removed, the Ubuntu codename of a derivative', () => {
  expect(parseOsRelease(OS_RELEASE['ubuntu 24.04'])).toEqual({
    id: 'ubuntu',
    idLike: ['debian'],
    versionId: '24.04',
    codename: 'noble',
    prettyName: 'Ubuntu 24.04.3 LTS',
  });
  expect(parseOsRelease(OS_RELEASE['fedora 43'])).toMatchObject({ id: 'fedora', versionId: '43', codename: '' });
  expect(parseOsRelease(MINT_22)).toMatchObject({ id: 'linuxmint', codename: 'noble' });
  expect(planSetup(bare(MINT_22)).release).toBe('ubuntu 24.04');
});

describe.each(RELEASE_NAMES)('%s', (name) => {
  const release = RELEASES.find((r) => `${r.id} ${r.version}` === name)!;

  test('a bare host: every lab package, dnsmasq, Vagrant with vagrant-libvirt and Packer, from where this release has them', () => {
    const plan = planSetup(bare(name));
    expect(plan.release).toBe(name);
    const packages = installs(bare(name)).flatMap((a) => a.command.filter((w) => !w.startsWith('-')).slice(2));
    expect(packages).toEqual(expect.arrayContaining([...LAB_PACKAGES[release.family], 'vagrant', 'packer']));
    expect(packages).toContain(release.family === 'debian' ? 'dnsmasq-base' : 'dnsmasq');
    const s = summary(bare(name));
    if (release.vagrantLibvirt === 'archive') expect(packages).toContain('vagrant-libvirt');
    else {
      expect(packages).not.toContain('vagrant-libvirt');
      expect(packages).toEqual(expect.arrayContaining([...PLUGIN_BUILD_PACKAGES]));
      expect(s.at(-3)).toBe('vagrant plugin install vagrant-libvirt');
      expect(plan.actions.find((a) => a.command[0] === 'vagrant')?.asUser).toBe(true);
    }
    const usesHashicorp = release.packer === 'hashicorp' || release.vagrant === 'hashicorp';
    if (!usesHashicorp) expect(s.join('\n')).not.toContain('hashicorp');
    else if (release.family === 'debian') {
      expect(s.slice(0, 5)).toEqual([
        'apt-get update -qq',
        'apt-get install -y -qq --no-install-recommends ca-certificates curl gpg',
        `install-key ${HASHICORP.apt.key} ${FILES.aptKey}`,
        `write ${FILES.aptSource}`,
        'apt-get update -qq',
      ]);
      const source = planSetup(bare(name)).actions[3].input!;
      expect(source).toContain(`\nSuites: ${release.codename}\n`);
      expect(source).toContain(`\nSigned-By: ${FILES.aptKey}\n`);
    } else
      expect(s.slice(0, 3)).toEqual([
        'dnf install -y -q ca-certificates curl gnupg2',
        `install-key ${HASHICORP.rpm.key} ${FILES.rpmKey}`,
        `write ${FILES.rpmRepo}`,
      ]);
    // Where the archive has Vagrant, HashiCorp's never replaces it (its vagrant-libvirt needs the archive's).
    if (release.vagrant === 'archive' && release.packer === 'hashicorp')
      expect(s).toContain(release.family === 'debian' ? `write ${FILES.aptPin}` : `write ${FILES.rpmRepo}`);
    expect(plan.manual).toEqual([]);
    expect(s.slice(-2)).toEqual(['virtlogd -d', 'libvirtd -d']);
  });

  test('a second run on the host the first run made does nothing', () => {
    const first = planSetup(bare(name), { withTestTools: true });
    const installed = first.actions.filter((a) => a.command[1] === 'install').flatMap((a) => a.command.slice(2));
    const files: HostFacts['files'] = {};
    for (const a of first.actions) if (a.command[0] === 'bash') files[a.command[4]] = a.input ?? ''; // key files: present
    const after = bare(name, {
      installed,
      files,
      packer: { hashicorp: '/usr/bin/packer', others: [] },
      vagrant: { file: '/usr/bin/vagrant', hashicorp: release.vagrant === 'hashicorp' },
      vagrantPlugins: ['vagrant-libvirt'],
      running: ['virtlogd', 'libvirtd'],
    });
    expect(planSetup(after, { withTestTools: true }).actions).toEqual([]);
  });
});

test("Fedora: cracklib's /usr/sbin/packer is left alone and HashiCorp's is installed; its repository gives packer only", () => {
  const f = bare('fedora 44', {
    packer: { others: ['/usr/sbin/packer: not a Go program (package cracklib-dicts 2.9.11)'] },
    systemd: true,
  });
  const plan = planSetup(f);
  expect(plan.notes).toContain(
    "not HashiCorp's Packer, left alone: /usr/sbin/packer: not a Go program (package cracklib-dicts 2.9.11)",
  );
  expect(cmd(plan.actions.at(-2)!)).toBe(
    `dnf install -y -q ${[...LAB_PACKAGES.fedora, 'vagrant', 'vagrant-libvirt', 'packer'].join(' ')}`,
  );
  // The repository file as HashiCorp's own (its baseurl), labforge's name, the fingerprint-checked key, packer only.
  expect(RPM_REPO).toContain(`\nbaseurl=https://rpm.releases.hashicorp.com/fedora/$releasever/$basearch/stable\n`);
  expect(RPM_REPO).toContain(`\ngpgkey=file://${FILES.rpmKey}\nincludepkgs=packer\n`);
  // With systemd, Fedora's modular daemons by their sockets.
  expect(cmd(plan.actions.at(-1)!)).toBe(
    'systemctl enable --now virtqemud.socket virtnetworkd.socket virtstoraged.socket',
  );
});

test('Ubuntu 24.04 on a GitHub-hosted runner with Packer from hashicorp/setup-packer: no second Packer', () => {
  const f = bare('ubuntu 24.04', {
    packer: { hashicorp: '/opt/hostedtoolcache/packer/1.11.2/x64/packer', others: [] },
  });
  const plan = planSetup(f);
  expect(plan.present).toContain("packer: HashiCorp's Packer at /opt/hostedtoolcache/packer/1.11.2/x64/packer");
  expect(installs(f).at(-1)!.command).toContain('vagrant');
  expect(installs(f).flatMap((a) => a.command)).not.toContain('packer');
});

test("a host whose user already configured HashiCorp's repository gets no second source; Debian 13 still pins vagrant", () => {
  const f = bare('debian 13', { hashicorpRepo: '/etc/apt/sources.list.d/hashicorp.list' });
  const s = summary(f);
  expect(s.join('\n')).not.toContain(FILES.aptSource);
  expect(s.join('\n')).not.toContain('install-key');
  expect(s).toContain(`write ${FILES.aptPin}`);
  expect(planSetup(f).present).toContain(
    "HashiCorp's repository: configured in /etc/apt/sources.list.d/hashicorp.list",
  );
});

test("HashiCorp's Vagrant already on Debian 13: kept, with vagrant-libvirt as its plugin; on Fedora the user is told how to switch", () => {
  const deb = bare('debian 13', { vagrant: { file: '/usr/bin/vagrant', hashicorp: true } });
  expect(summary(deb)).toContain('vagrant plugin install vagrant-libvirt');
  expect(installs(deb).flatMap((a) => a.command)).not.toContain('vagrant-libvirt');
  const fed = planSetup(bare('fedora 43', { vagrant: { file: '/usr/bin/vagrant', hashicorp: true } }));
  expect(fed.manual[0]).toMatch(/^vagrant-libvirt: with HashiCorp's Vagrant on Fedora/);
});

test('a newer release than the table knows is set up like the newest, and says so; an older one or another system is refused (exit 3)', () => {
  const next = bare(OS_RELEASE['fedora 44'].replace(/44/g, '45'));
  expect(planSetup(next).release).toBe('fedora 45');
  expect(planSetup(next).notes[0]).toMatch(/newer than the releases setup was checked on; it is set up like fedora 44/);
  for (const text of [
    OS_RELEASE['debian 12'].replace(/12/g, '11').replace(/bookworm/g, 'bullseye'),
    'NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\n',
    'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4"\n',
  ]) {
    expect(() => planSetup(bare(text))).toThrow(SetupUnsupportedError);
  }
  expect(() => planSetup(bare('NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\n'))).toThrow(
    /Arch Linux is not a release setup knows \(Debian 12-13, Ubuntu 22\.04\/24\.04\/26\.04, Fedora 42-44\)/,
  );
});

test('the user who ran sudo joins the libvirt group once; root alone needs no group', () => {
  const ready = (over: Partial<HostFacts>) =>
    bare('debian 12', {
      installed: [...LAB_PACKAGES.debian, 'vagrant', 'vagrant-libvirt'],
      packer: { hashicorp: '/usr/bin/packer', others: [] },
      running: ['libvirtd'],
      ...over,
    });
  expect(summary(ready({ user: 'runner', userGroups: ['adm'] }))).toEqual(['usermod -aG libvirt runner']);
  expect(summary(ready({ user: 'runner', userGroups: ['libvirt'] }))).toEqual([]);
  expect(summary(ready({ user: 'root' }))).toEqual([]);
  expect(groupsOf('root:x:0:\nlibvirt:x:110:alice,runner\nkvm:x:104:runner\n', 'runner')).toEqual(['libvirt', 'kvm']);
  // With the udev rule GitHub documents for its runners: written atomically, then loaded.
  const runner = ready({ githubRunner: true });
  expect(summary(runner)).toEqual([
    `write ${KVM_RULE_FILE}`,
    'udevadm control --reload-rules',
    'udevadm trigger --name-match=kvm',
  ]);
  expect(summary(ready({ githubRunner: true, files: { [KVM_RULE_FILE]: KVM_RULE } }))).toEqual([]);
  expect(summary(runner, { kvmUdev: false })).toEqual([]);
});

test('apt resolves each Debian plan against that release’s own index (packages.debian.org, live), and trixie has no packer', async () => {
  requireTool('apt-get');
  const suites = [
    ['debian 12', 'bookworm'],
    ['debian 13', 'trixie'],
  ] as const;
  // Both indexes downloaded at once (the downloads wait on the network, not on this machine).
  const roots = await Promise.all(suites.map(([, suite]) => aptRoot(suite)));
  for (const [i, [name]] of suites.entries()) {
    const apt = roots[i];
    const packages = installs(bare(name, {}))
      .flatMap((a) => a.command.slice(5))
      .filter((p) => p !== 'packer' || name === 'debian 12');
    const sim = await apt.run('apt-get', ['install', '--simulate', '--no-install-recommends', ...packages]);
    expect(sim.exitCode === 0 ? '' : sim.all).toBe('');
    // vagrant-libvirt's build dependencies, the names Ubuntu shares, exist too.
    const build = await apt.run('apt-get', [
      'install',
      '--simulate',
      '--no-install-recommends',
      ...PLUGIN_BUILD_PACKAGES,
    ]);
    expect(build.exitCode === 0 ? '' : build.all).toBe('');
    if (name === 'debian 13') {
      const packer = await apt.run('apt-get', ['install', '--simulate', 'packer']);
      expect(packer.all).toContain("Package 'packer' has no installation candidate");
      // apt reads labforge's deb822 source: HashiCorp's trixie index, and Debian's vagrant stays the candidate.
      fs.writeFileSync(path.join(apt.dir, 'sources', 'labforge-hashicorp.sources'), aptSource(RELEASES[1], 'amd64'));
      fs.writeFileSync(path.join(apt.dir, 'preferences', 'labforge-hashicorp'), APT_PIN);
      const uris = await apt.run('apt-get', ['update', '--print-uris']);
      expect(uris.stdout).toContain("'https://apt.releases.hashicorp.com/dists/trixie/main/binary-amd64/Packages.xz'");
      const policy = await apt.run('apt-cache', ['policy', 'vagrant']);
      expect(policy.stdout).toMatch(/Candidate: 2\.3\.\d/);
    }
  }
}, 180_000);

/** A throwaway apt configuration for one Debian suite (the mirror this machine's apt uses), with its index. */
async function aptRoot(suite: string) {
  const dir = tempDir();
  for (const d of ['lists/partial', 'cache/archives/partial', 'sources', 'preferences'])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'status'), '');
  const mirror = /^URIs:\s*(\S+)/m.exec(
    fs
      .readdirSync('/etc/apt/sources.list.d')
      .filter((f) => f.endsWith('.sources'))
      .map((f) => fs.readFileSync(path.join('/etc/apt/sources.list.d', f), 'utf8'))
      .find((t) => /Suites:.*\bbookworm\b/.test(t)) ?? 'URIs: http://deb.debian.org/debian',
  )![1];
  fs.writeFileSync(
    path.join(dir, 'sources', 'debian.sources'),
    `Types: deb\nURIs: ${mirror}\nSuites: ${suite}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  );
  const o = [
    `Dir::Etc::SourceList=/dev/null`,
    `Dir::Etc::SourceParts=${dir}/sources`,
    `Dir::Etc::Preferences=/dev/null`,
    `Dir::Etc::PreferencesParts=${dir}/preferences`,
    `Dir::State::Lists=${dir}/lists`,
    `Dir::Cache=${dir}/cache`,
    `Dir::State::status=${dir}/status`,
    'APT::Architecture=amd64',
    'APT::Architectures=amd64',
    'APT::Sandbox::User=root',
  ].flatMap((x) => ['-o', x]);
  const run = (tool: string, args: string[]) => execa(tool, [...o, ...args], { reject: false, all: true });
  const update = await run('apt-get', ['update', '-qq']);
  if (update.exitCode !== 0) throw new Error(`apt-get update of ${suite} failed:\n${update.all}`);
  return { dir, run };
}

test('the setup scripts pass shellcheck; write-file replaces the file atomically, and a link at the file itself, never its target', async () => {
  requireTool('shellcheck');
  const scripts = ['write-file.sh', 'install-key.sh'].map((s) => path.join(ROOT, 'setup', s));
  const sc = await execa('shellcheck', [...scripts], { reject: false });
  expect(sc.stdout).toBe('');
  const dir = tempDir();
  const target = path.join(dir, 'precious');
  fs.writeFileSync(target, 'keep me\n');
  const file = path.join(dir, 'conf.d', 'x.conf');
  fs.mkdirSync(path.dirname(file));
  fs.symlinkSync(target, file);
  const a = planSetup(
    bare('debian 12', {
      githubRunner: true,
      installed: [...LAB_PACKAGES.debian, 'vagrant', 'vagrant-libvirt'],
      packer: { hashicorp: '/usr/bin/packer', others: [] },
      running: ['libvirtd'],
    }),
  ).actions[0];
  const written = await execa(a.command[0], [...a.command.slice(1, 4), file, '0644'], { input: 'new text\n' });
  expect(written.exitCode).toBe(0);
  expect(fs.lstatSync(file).isFile()).toBe(true);
  expect(fs.readFileSync(file, 'utf8')).toBe('new text\n');
  expect(fs.readFileSync(target, 'utf8')).toBe('keep me\n');
  expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  expect(fs.readdirSync(path.dirname(file))).toEqual(['x.conf']);
});

test('install-key installs only the key with the expected fingerprint, and nothing when the download holds another', async () => {
  requireTool('gpg');
  const dir = tempDir();
  const home = path.join(dir, 'gnupg');
  fs.mkdirSync(home, { mode: 0o700 });
  const gpg = (args: string[]) => execa('gpg', ['--batch', '--homedir', home, ...args]);
  await gpg(['--passphrase', '', '--quick-gen-key', 'labforge test <t@example.com>', 'ed25519', 'sign', 'never']);
  await gpg(['--passphrase', '', '--quick-gen-key', 'someone else <e@example.com>', 'ed25519', 'sign', 'never']);
  const fprs = [...(await gpg(['--with-colons', '--list-keys'])).stdout.matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map(
    (m) => m[1],
  );
  // The "download": both keys in one armored file, served by a stand-in curl that checks it was asked for https.
  const served = path.join(dir, 'served.asc');
  fs.writeFileSync(served, (await gpg(['--armor', '--export'])).stdout);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'curl'),
    '#!/bin/sh\nout=\nwhile [ $# -gt 1 ]; do case $1 in\n' +
      `  --output) out=$2; shift;; --proto) [ "$2" = '=https' ] || exit 9; shift;;\n` +
      `esac; shift; done\ncp '${served}' "$out"\n`,
    { mode: 0o755 },
  );
  const script = path.join(ROOT, 'setup', 'install-key.sh');
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const dest = path.join(dir, 'keyrings', 'k.gpg');
  const ok = await execa('bash', [script, 'https://example.invalid/gpg', fprs[0], dest, 'binary'], {
    env,
    reject: false,
  });
  expect(ok.exitCode).toBe(0);
  const shown = (await gpg(['--with-colons', '--show-keys', dest])).stdout;
  expect([...shown.matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map((m) => m[1])).toEqual([fprs[0]]);
  const armored = path.join(dir, 'k.asc');
  await execa('bash', [script, 'https://example.invalid/gpg', fprs[1], armored, 'armor'], { env });
  expect(fs.readFileSync(armored, 'utf8')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  const wrong = path.join(dir, 'wrong.gpg');
  const bad = await execa('bash', [script, 'https://example.invalid/gpg', HASHICORP.fingerprint, wrong, 'binary'], {
    env,
    reject: false,
  });
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).toContain(`does not hold the key ${HASHICORP.fingerprint}`);
  expect(fs.existsSync(wrong)).toBe(false);
});

/** Runs a printed command line with every command it names replaced by a shell function that prints its name, its
 *  words and its standard input, NUL-separated: what the line would run, word for word. */
async function wordsOf(line: string, names: string[]): Promise<string[]> {
  const fns = [...new Set(names)].map((n) => `${n}() { printf '%s\\0' "$FUNCNAME" "$@" STDIN; cat; }`).join('\n');
  const r = await execa('bash', ['-c', `${fns}\n${line}`], { input: '', stripFinalNewline: false });
  return r.stdout.split('\0');
}

test('the printed plan is a shell script whose every value is quoted: each line runs exactly the command planned', async () => {
  const actions = RELEASE_NAMES.flatMap((n) => planSetup(bare(n, { user: 'runner' }), { kvmUdev: true }).actions);
  // Every line at once (a bash each): the test spends its time starting shells, which a loaded machine slows.
  await Promise.all(
    actions.map(async (a) => {
      const words = await wordsOf(commandLine(a, false), [a.command[0]]);
      expect(words).toEqual([...a.command, 'STDIN', a.input ?? '']);
      const viaSudo = await wordsOf(commandLine(a, true), ['sudo', a.command[0]]);
      if (!a.asUser)
        expect(viaSudo).toEqual([
          'sudo',
          ...(a.env ? ['env', ...Object.entries(a.env).map(([k, v]) => `${k}=${v}`)] : []),
          ...a.command,
          'STDIN',
          a.input ?? '',
        ]);
    }),
  );
  // Any words at all (random, hostile: quotes, $(), line breaks, controls) come back as they were.
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.string({ unit: 'binary', minLength: 1 }).filter((w) => !w.includes('\0')),
        { maxLength: 4 },
      ),
      fc.string({ unit: 'binary' }).filter((w) => !w.includes('\0')),
      async (args, input) => {
        const a: SetupAction = { why: 'x', command: ['tool', ...args], input };
        expect(await wordsOf(commandLine(a, false), ['tool'])).toEqual(['tool', ...args, 'STDIN', input]);
      },
    ),
    { numRuns: 60 },
  );
}, 300000);

test('a value with a line break or a control character never reaches the plan: --user is refused (exit 2), comments escape', async () => {
  for (const user of ['a\nrm -rf /', 'x\r', '-o', 'a b', 'a;b', '$(id)', 'é\u202e']) {
    const r = await cli(['setup', '--dry-run', `--user=${user}`]);
    expect(r.exitCode).toBe(2);
    // Messages show a bidirectional override escaped (\u202e), never raw (inert.ts).
    expect(r.stderr).toContain(`setup --user: ${JSON.stringify(user).replace('\u202e', '\\u202e')} is not a user name`);
    expect(r.stdout).toBe('');
  }
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      const line = shellComment(text);
      expect(line.split(/\r\n|[\n\r\u2028\u2029\u0085]/)).toHaveLength(1);
      expect(line.startsWith('# ')).toBe(true);
    }),
  );
});

test('`labforge setup --dry-run` on this host prints the plan and changes nothing', async () => {
  const groupsBefore = fs.readFileSync('/etc/group', 'utf8');
  const ruleBefore = fs.existsSync(KVM_RULE_FILE) ? fs.readFileSync(KVM_RULE_FILE, 'utf8') : undefined;
  const r = await cli(['setup', '--dry-run', '--kvm-udev', '--user', 'nobody', '--no-start']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain('# let nobody use the system libvirt');
  expect(r.stdout).toContain('\nusermod -aG libvirt nobody\n');
  expect(r.stdout).toMatch(/^labforge setup: debian 12 \(debian family\)$/m);
  if (ruleBefore !== KVM_RULE) expect(r.stdout).toContain(`labforge-setup ${KVM_RULE_FILE} 0644`);
  expect(fs.existsSync(KVM_RULE_FILE) ? fs.readFileSync(KVM_RULE_FILE, 'utf8') : undefined).toBe(ruleBefore);
  expect(fs.readFileSync('/etc/group', 'utf8')).toBe(groupsBefore);
  const j = await cli(['setup', '--dry-run', '--json', '--user', 'nobody', '--no-start', '--no-kvm-udev']);
  expect(JSON.parse(j.stdout)).toMatchObject({
    family: 'debian',
    release: 'debian 12',
    commands: ['usermod -aG libvirt nobody'],
  });
});
