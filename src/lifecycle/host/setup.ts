// labforge setup: installs and starts what doctor checks, on the Debian, Ubuntu and Fedora releases setup-releases.ts
// lists. readHostFacts only reads (/etc/os-release, the package database, PATH, the apt and dnf configuration, /proc,
// /etc/group); planSetup (setup-plan.ts) decides from those facts; setup() prints and runs the plan.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SetupNeedsRootError } from '../../errors.js';
import * as packer from '../../tools/packer.js';
import { run, which } from '../../tools/run.js';
import * as vagrant from '../../tools/vagrant.js';
import {
  checkUserName,
  commandLine,
  KVM_RULE_FILE,
  planSetup,
  shellComment,
  type HostFacts,
  type SetupOptions,
  type SetupPlan,
} from './setup-plan.js';
import {
  FILES,
  KEY_TOOLS,
  LAB_PACKAGES,
  PLUGIN_BUILD_PACKAGES,
  releaseOf,
  TEST_PACKAGES,
  type Family,
  type OsRelease,
} from './setup-releases.js';

export * from './setup-plan.js';
export type { Family } from './setup-releases.js';

/** /etc/os-release's fields setup reads (the file is shell-like KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): OsRelease {
  const get = (k: string) =>
    (new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '')
      .trim()
      .replace(/^(["'])(.*)\1$/, '$2')
      .replace(/\\(.)/g, '$1');
  return {
    id: get('ID'),
    idLike: get('ID_LIKE').split(/\s+/).filter(Boolean),
    versionId: get('VERSION_ID'),
    codename: get('UBUNTU_CODENAME') || get('VERSION_CODENAME'),
    prettyName: get('PRETTY_NAME'),
  };
}

/** Members of a group in /etc/group text (the supplementary list; a user's primary group is not listed there). */
export function groupsOf(etcGroup: string, user: string): string[] {
  return etcGroup
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && f[3].split(',').includes(user))
    .map((f) => f[0]);
}

/** Every package setup may check on a host of this family. */
export function candidatePackages(family: Family): string[] {
  return [
    ...new Set([
      ...LAB_PACKAGES[family],
      'vagrant',
      'vagrant-libvirt',
      'packer',
      ...PLUGIN_BUILD_PACKAGES,
      ...TEST_PACKAGES[family],
      ...KEY_TOOLS[family],
    ]),
  ];
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
  const r = await run('rpm', ['-q', '--qf', '%{NAME}\\n', ...packages], { anyExitCode: true });
  const names = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return packages.filter((p) => names.has(p));
}

/** Small text files only (configuration); anything else counts as absent. */
function readSmall(file: string): string | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > 1 << 20) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A file of the user's own (not labforge's) that configures HashiCorp's repository for apt or dnf. */
function userHashicorpRepo(family: Family): string | undefined {
  const [dirs, pattern, ours] =
    family === 'debian'
      ? [['/etc/apt/sources.list', '/etc/apt/sources.list.d'], /^[^#]*apt\.releases\.hashicorp\.com/m, FILES.aptSource]
      : [['/etc/yum.repos.d'], /^\s*baseurl\s*=.*rpm\.releases\.hashicorp\.com/m, FILES.rpmRepo];
  const files = dirs.flatMap((d) => {
    try {
      return fs.statSync(d).isDirectory()
        ? fs
            .readdirSync(d)
            .filter((f) => /\.(list|sources|repo)$/.test(f))
            .map((f) => path.join(d, f))
        : [d];
    } catch {
      return [];
    }
  });
  return files.filter((f) => f !== ours).find((f) => pattern.test(readSmall(f) ?? ''));
}

/** Reads this host's facts (nothing is changed). */
export async function readHostFacts(opts: SetupOptions = {}): Promise<HostFacts> {
  const osr = parseOsRelease(readSmall('/etc/os-release') ?? readSmall('/usr/lib/os-release') ?? '');
  const family = releaseOf(osr)?.release.family;
  const root = process.getuid?.() === 0;
  const user =
    opts.user !== undefined
      ? checkUserName('--user', opts.user)
      : root
        ? process.env.SUDO_USER && checkUserName('(SUDO_USER)', process.env.SUDO_USER)
        : os.userInfo().username;
  const vagrantFile = which('vagrant');
  const vagrantReal = vagrantFile ? fs.realpathSync(vagrantFile) : undefined;
  const [installed, packers, plugins, arch] = await Promise.all([
    family ? installedPackages(family, candidatePackages(family)) : Promise.resolve([]),
    packer.candidates(),
    vagrantFile ? vagrant.plugins().catch(() => undefined) : Promise.resolve(undefined),
    family === 'debian' && which('dpkg')
      ? run('dpkg', ['--print-architecture']).then((r) => r.stdout.trim())
      : Promise.resolve(''),
  ]);
  const hashicorpPacker = packers.find((c) => c.hashicorp && c.version);
  const files: HostFacts['files'] = {};
  for (const f of [FILES.aptSource, FILES.aptPin, FILES.rpmRepo, KVM_RULE_FILE]) files[f] = readSmall(f);
  for (const f of [FILES.aptKey, FILES.rpmKey]) files[f] = fs.existsSync(f) ? '' : undefined;
  return {
    os: osr,
    root,
    systemd: fs.existsSync('/run/systemd/system'),
    arch,
    installed,
    packer: {
      hashicorp: hashicorpPacker?.file,
      others: packers.filter((c) => !c.hashicorp).map((c) => `${c.file}: ${c.how}`),
    },
    vagrant: vagrantFile ? { file: vagrantFile, hashicorp: vagrantReal!.startsWith('/opt/vagrant/') } : undefined,
    vagrantPlugins: plugins?.map((p) => p.name),
    hashicorpRepo: family ? userHashicorpRepo(family) : undefined,
    files,
    running: runningDaemons(),
    user: user || undefined,
    userGroups: user ? groupsOf(readSmall('/etc/group') ?? '', user) : [],
    githubRunner: process.env.GITHUB_ACTIONS === 'true' && process.env.RUNNER_ENVIRONMENT === 'github-hosted',
  };
}

export interface SetupResult {
  plan: SetupPlan;
  /** The commands run (or, with --dry-run, that would run). */
  commands: string[];
}

/** Runs the plan (as root, or through sudo), printing one line per command; --dry-run prints the plan as a shell
 *  script: a comment saying why, then the command, every value quoted. */
export async function setup(opts: SetupOptions, print: (line: string) => void): Promise<SetupResult> {
  const facts = await readHostFacts(opts);
  const plan = planSetup(facts, opts);
  const sudo = !facts.root;
  if (sudo && !opts.dryRun && plan.actions.some((a) => !a.asUser) && !which('sudo'))
    throw new SetupNeedsRootError(
      `setup: ${plan.actions.length} commands need root here and sudo is not installed; run \`labforge setup\` as root (\`--dry-run\` shows them)`,
    );
  const commands = plan.actions.map((a) => commandLine(a, sudo));
  for (const [i, a] of plan.actions.entries()) {
    print(
      opts.dryRun
        ? `${shellComment(a.why)}\n${commands[i]}`
        : shellComment(`[${i + 1}/${plan.actions.length}] ${a.why}`).slice(2),
    );
    if (opts.dryRun) continue;
    const viaSudo = sudo && !a.asUser;
    const [tool, ...args] = viaSudo
      ? ['sudo', ...(a.env ? ['env', ...Object.entries(a.env).map(([k, v]) => `${k}=${v}`)] : []), ...a.command]
      : a.command;
    // libvirtd and virtlogd live in /usr/sbin, which a non-login root shell may not have on PATH.
    const resolved =
      which(tool) ?? ['/usr/sbin', '/sbin'].map((d) => `${d}/${tool}`).find((p) => fs.existsSync(p)) ?? tool;
    await run(tool, args, { program: resolved, env: viaSudo ? undefined : a.env, input: a.input, tailLines: 20 });
  }
  return { plan, commands };
}
