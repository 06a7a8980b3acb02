// Packer: which program on PATH is HashiCorp's Packer (told apart from others named `packer` without running them),
// its version, init (Packer >= 1.7) and build of a rendered recipe folder. Every command runs the program `locate`
// found, by its absolute path: a root PATH often lists /usr/sbin, where Fedora's cracklib-dicts puts its `packer`,
// before /usr/bin.
import fs from 'node:fs';
import { deadTemps, makeOwnPidTemp, makeOwnTemp, removeOwnTemp, sweepDeadTemps } from '../fsguard/user-files.js';
import os from 'node:os';
import path from 'node:path';
import { userCacheDir } from './host.js';
import { readProgramKind } from './go-binary.js';
import { ToolMissingError } from '../errors.js';
import { run, type RunOptions } from './run.js';
import { LOCAL_QUERY_S } from '../time-limits.js';
import { processesWithEnv, stopLeftovers, type ChildEntry } from './children.js';

export interface Version {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export function parseVersion(text: string): Version | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: m[0] } : undefined;
}

/** Packer >= 1.7 understands `required_plugins` and `packer init`; 1.6.x rejects both. */
export function supportsInit(v: Version): boolean {
  return v.major > 1 || (v.major === 1 && v.minor >= 7);
}

/** Downloads (the Fedora image or ISO) are kept across renders, which replace the packer/ folder. */
function cacheDir(): string {
  return path.join(userCacheDir(), 'packer');
}

const ENV = {
  CHECKPOINT_DISABLE: '1',
  PACKER_NO_COLOR: '1',
  PACKER_CACHE_DIR: process.env.PACKER_CACHE_DIR ?? cacheDir(),
};

function varArgs(vars: Record<string, string>): string[] {
  return Object.keys(vars)
    .sort()
    .flatMap((k) => ['-var', `${k}=${vars[k]}`]);
}

/** HashiCorp's Packer's main Go module: its build information names it (see go-binary.ts). */
export const PACKER_MODULE = 'github.com/hashicorp/packer';

/** One program named `packer` on PATH, and what it is. */
export interface PackerCandidate {
  /** As found on PATH. */
  file: string;
  /** With symbolic links resolved. */
  resolved: string;
  hashicorp: boolean;
  /** How that was decided, in a user's words (the package that owns it, the Go module it was built from). */
  how: string;
  version?: Version;
  /** The package owning the file, when the package manager knows it (dpkg or rpm). */
  owner?: { name: string; version: string };
}

/** The package that owns `file` (dpkg on Debian and Ubuntu, rpm on Fedora), or undefined. */
async function packageOwner(file: string, resolved: string): Promise<PackerCandidate['owner']> {
  const dpkg = async (f: string) => {
    const r = await run('dpkg-query', ['-S', f], { anyExitCode: true, timeoutMs: LOCAL_QUERY_S * 1000 });
    const name = r.exitCode === 0 ? /^([^:,\s]+)[^:]*: /.exec(r.stdout)?.[1] : undefined;
    if (!name) return undefined;
    const v = await run('dpkg-query', ['-W', '-f=${Version}', name], {
      anyExitCode: true,
      timeoutMs: LOCAL_QUERY_S * 1000,
    });
    return { name, version: v.stdout.trim() };
  };
  const rpm = async (f: string) => {
    const r = await run('rpm', ['-qf', '--qf', '%{NAME} %{VERSION}\\n', f], {
      anyExitCode: true,
      timeoutMs: LOCAL_QUERY_S * 1000,
    });
    const m = r.exitCode === 0 ? /^(\S+) (\S+)$/m.exec(r.stdout) : undefined;
    return m ? { name: m[1], version: m[2] } : undefined;
  };
  for (const query of [dpkg, rpm])
    for (const f of new Set([resolved, file])) {
      try {
        const owner = await query(f);
        if (owner) return owner;
      } catch {
        /* this package manager is not installed */
      }
    }
  return undefined;
}

/** Asks an identified HashiCorp Packer its version: from an empty folder of its own with a time limit, never from the
 *  user's folder. For a binary no package owns and whose build information carries no version (HashiCorp builds from
 *  a checkout: "(devel)"). */
async function askVersion(file: string): Promise<Version | undefined> {
  const dir = makeOwnTemp(os.tmpdir(), 'labforge-packer-version-');
  try {
    const { stdout } = await run(file, ['version'], { cwd: dir, env: ENV, timeoutMs: 15_000, anyExitCode: true });
    return parseVersion(stdout);
  } catch {
    return undefined;
  } finally {
    removeOwnTemp(dir);
  }
}

/** Whether the program at `file` is HashiCorp's Packer, decided from its file and the package database without running
 *  it; only an identified Packer whose version nothing else tells is asked for it (see askVersion). */
export async function identify(file: string): Promise<PackerCandidate> {
  const resolved = fs.realpathSync(file);
  const [kind, owner] = await Promise.all([readProgramKind(resolved), packageOwner(file, resolved)]);
  const from = owner ? `package ${owner.name} ${owner.version}` : 'no package';
  if (kind.kind !== 'go')
    return {
      file,
      resolved,
      hashicorp: false,
      owner,
      how: `${kind.kind === 'not-elf' ? 'not a compiled program' : 'not a Go program'} (HashiCorp's Packer is one; ${from})`,
    };
  if (kind.path !== PACKER_MODULE && !(kind.path === undefined && owner?.name === 'packer'))
    return {
      file,
      resolved,
      hashicorp: false,
      owner,
      how: `a Go program ${kind.path ? `of module ${kind.path}` : 'without module information'} (${from})`,
    };
  const version =
    parseVersion(kind.mainVersion ?? '') ??
    (owner?.name === 'packer' ? parseVersion(owner.version) : undefined) ??
    (await askVersion(resolved));
  return {
    file,
    resolved,
    hashicorp: true,
    owner,
    version,
    how: `built from ${PACKER_MODULE} with ${kind.goVersion} (${from})`,
  };
}

/** Every program named `packer` on PATH, in PATH's order. */
export async function candidates(pathEnv = process.env.PATH ?? ''): Promise<PackerCandidate[]> {
  const files = [
    ...new Set(
      pathEnv
        .split(':')
        .filter((d) => d.startsWith('/'))
        .map((d) => path.join(d, 'packer')),
    ),
  ].filter((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
  const seen = new Set<string>();
  const out: PackerCandidate[] = [];
  for (const f of files) {
    const resolved = fs.realpathSync(f);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    out.push(await identify(f));
  }
  return out;
}

/** HashiCorp's Packer on this host (the first on PATH), or ToolMissingError naming what else is called `packer`.
 *  LABFORGE_PACKER, an absolute path, names the program to run instead: the user's choice, taken as it is. */
export async function locate(
  pathEnv = process.env.PATH ?? '',
  named = process.env.LABFORGE_PACKER,
): Promise<PackerCandidate & { version: Version }> {
  if (named) {
    if (!path.isAbsolute(named) || !fs.statSync(named, { throwIfNoEntry: false })?.isFile())
      throw new ToolMissingError(`LABFORGE_PACKER: ${JSON.stringify(named)} is not an absolute path to a program`);
    const version = await askVersion(named);
    if (!version) throw new ToolMissingError(`LABFORGE_PACKER: ${named} did not tell a Packer version`);
    return { file: named, resolved: fs.realpathSync(named), hashicorp: true, how: 'named by LABFORGE_PACKER', version };
  }
  const all = await candidates(pathEnv);
  const found = all.find((c) => c.hashicorp);
  if (found?.version) return found as PackerCandidate & { version: Version };
  const others = all.filter((c) => !c.hashicorp).map((c) => `${c.file} is not HashiCorp's Packer: ${c.how}`);
  if (found) others.unshift(`${found.file} is HashiCorp's Packer but did not tell its version`);
  throw new ToolMissingError(
    `HashiCorp's Packer is not installed or not on PATH${others.length ? ` (${others.join('; ')})` : ''}`,
  );
}

let located: Promise<PackerCandidate & { version: Version }> | undefined;

/** locate(), once per process. */
function packer(): Promise<PackerCandidate & { version: Version }> {
  located ??= locate();
  located.catch(() => (located = undefined));
  return located;
}

export async function version(): Promise<Version> {
  return (await packer()).version;
}

/** Plugins Packer >= 1.8 has installed (\`packer plugins installed\` prints their paths, which carry name and
 *  version), e.g. { qemu: "1.1.0" }; empty where the command does not exist. */
export async function installedPlugins(dir: string): Promise<Record<string, string>> {
  try {
    const { stdout } = await run('packer', ['plugins', 'installed'], {
      program: (await packer()).file,
      cwd: dir,
      env: ENV,
    });
    const out: Record<string, string> = {};
    for (const m of stdout.matchAll(/packer-plugin-([a-z0-9-]+)_v(\d+\.\d+\.\d+)/g)) out[m[1]] = m[2];
    return out;
  } catch {
    return {};
  }
}

export async function init(dir: string, pluginsFile: string, opts: RunOptions = {}): Promise<void> {
  await run('packer', ['init', pluginsFile], {
    program: (await packer()).file,
    ...opts,
    cwd: dir,
    env: { ...ENV, ...opts.env },
  });
}

/** Builds the recipe in `dir` (its *.pkr.hcl files); -force replaces a half-finished build from an earlier run.
 *  Packer's own temp files (1.6.6 leaves its `packer_to_cdrom*` ISO of cd_files behind) go to a temp folder of
 *  labforge's, removed when the build ends, whatever its outcome. */
const BUILD_TEMP = 'labforge-packer-build-';

/** What a bake found of builds whose labforge was killed: the programs still running in them (Packer, its build VM)
 *  that it stopped, and the temp folders it removed. */
export interface KilledBuilds {
  stopped: ChildEntry[];
  removed: string[];
}

/** Stops what still runs of builds whose labforge is gone (every process whose TMPDIR is such a build's folder: a
 *  Packer killed with it or not, and the build VM, which outlives a dead Packer), then removes their temp folders.
 *  Every bake does this, also one that finds its box installed and builds nothing. */
export async function sweepKilledBuilds(parent = os.tmpdir()): Promise<KilledBuilds> {
  const stopped: ChildEntry[] = [];
  for (const dir of deadTemps(parent, BUILD_TEMP))
    stopped.push(...(await stopLeftovers(processesWithEnv('TMPDIR', dir))));
  return { stopped, removed: sweepDeadTemps(parent, BUILD_TEMP) };
}

export async function build(dir: string, vars: Record<string, string>, opts: RunOptions = {}): Promise<void> {
  // A labforge killed during the build leaves its folder: the next build removes it (makeOwnPidTemp).
  const tmp = makeOwnPidTemp(os.tmpdir(), BUILD_TEMP);
  try {
    await run('packer', ['build', '-force', '-color=false', ...varArgs(vars), '.'], {
      tailLines: 25,
      ...opts,
      program: (await packer()).file,
      cwd: dir,
      env: { ...ENV, ...opts.env, TMPDIR: tmp },
    });
  } finally {
    removeOwnTemp(tmp);
  }
}
