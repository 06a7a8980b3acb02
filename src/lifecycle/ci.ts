// labforge ci github|gitlab: the CI file for the lab, installing labforge the way the repository has it (labforge's
// own repository, a package.json dependency, or a git/tarball spec given with --install), never by a registry name:
// labforge is not published on the npm registry, and whoever claimed the name would run as root in every such job.
// The file goes to standard output or, with --output, to a regular file inside the repository, written atomically.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { loadLabFile } from '../lab/load.js';
import { UsageError } from '../errors.js';
import {
  checkCiValue,
  GITLAB_DEFAULT_TAGS,
  renderGithubWorkflow,
  renderGitlabCi,
  type CiOptions,
} from '../render/ci.js';
import { repoFile } from '../render/repo-files.js';
import { labMemoryMiB } from './host/doctor.js';
import { atomicWrite } from './state/outdir.js';
import { FileLayer } from '../fsguard/layer.js';

export interface CiCommand {
  /** The global --lab and --out. */
  lab: string;
  out?: string;
  output?: string;
  /** A git or tarball spec of labforge for the job to install. */
  install?: string;
  /** GitLab: comma-separated runner tags, and the job's image. */
  tags?: string;
  image?: string;
}

/** GitLab's hosted Linux runners by tag, their memory in GiB (GitLab's "Hosted runners on Linux" documentation). */
export const GITLAB_RUNNER_MEMORY_GIB: Record<string, number> = {
  'saas-linux-small-amd64': 8,
  'saas-linux-medium-amd64': 16,
  'saas-linux-large-amd64': 32,
  'saas-linux-xlarge-amd64': 64,
  'saas-linux-2xlarge-amd64': 128,
};

const MAX_JSON = 4 << 20;

/** A JSON file of the repository (package.json, package-lock.json): a regular file of bounded size, or undefined. */
function readJson(file: string): Record<string, unknown> | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_JSON)
      throw new UsageError(`ci: ${file} is not a regular file of at most ${MAX_JSON >> 20} MiB`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const r = fs.readSync(fd, buf, n, st.size - n, n);
      if (r === 0) break;
      n += r;
    }
    return JSON.parse(buf.subarray(0, n).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`ci: ${file} is not valid JSON (${(e as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}

/** A dependency spec npm resolves without the registry: git, a tarball URL, a file path, a GitHub shorthand. */
function offRegistry(spec: string): boolean {
  return (
    /^(git\+|git:|github:|gitlab:|bitbucket:|https?:|file:|\.{1,2}\/|\/)/.test(spec) ||
    /^[\w.-]+\/[\w.-]+(#.*)?$/.test(spec)
  );
}

const SPEC_FORMS =
  'a git spec (git+https://..., git+ssh://..., github:OWNER/REPO#REF), an https URL of a tarball (.tgz), or a tarball file inside the repository (./labforge-0.1.0.tgz, from npm pack)';

/** --install: a spec npm installs labforge from without the registry, checked by form (and a local tarball by file). */
export function checkInstallSpec(cwd: string, spec: string): string {
  checkCiValue('--install', spec);
  if (
    /^git\+(https|ssh):\/\/[^\s]+$/.test(spec) ||
    /^(github|gitlab|bitbucket):[\w.-]+\/[\w.-]+(#[\w./@^~+-]+)?$/.test(spec)
  )
    return spec;
  if (/^https:\/\/[^\s]+\.(tgz|tar\.gz)$/.test(spec)) return spec;
  if (/^[\w./-]+\.(tgz|tar\.gz)$/.test(spec) && !path.isAbsolute(spec)) {
    const abs = path.resolve(cwd, spec);
    const rel = path.relative(cwd, abs);
    if (rel.startsWith('..') || !fs.lstatSync(abs, { throwIfNoEntry: false })?.isFile())
      throw new UsageError(`ci --install: ${JSON.stringify(spec)} is not a tarball file inside the current folder`);
    return `./${rel.split(path.sep).join('/')}`;
  }
  throw new UsageError(
    `ci --install: ${JSON.stringify(spec)} is not ${SPEC_FORMS}; labforge is not on the npm registry, so a registry name or version is refused`,
  );
}

/** How the job installs labforge: --install's spec, else the repository's own package.json. */
export function resolveInstall(cwd: string, spec?: string): CiOptions['install'] {
  if (spec !== undefined) return { kind: 'spec', spec: checkInstallSpec(cwd, spec) };
  const hint = `give --install with ${SPEC_FORMS}`;
  const pkg = readJson(path.join(cwd, 'package.json'));
  if (!pkg) throw new UsageError(`ci: there is no package.json in ${cwd} to install labforge from; ${hint}`);
  if (pkg.name === 'labforge') return { kind: 'repository' };
  const deps = ['dependencies', 'devDependencies', 'optionalDependencies'].map(
    (k) => (pkg[k] as Record<string, unknown> | undefined)?.labforge,
  );
  const dep = deps.find((d) => typeof d === 'string') as string | undefined;
  if (dep === undefined) throw new UsageError(`ci: labforge is not a dependency in ${cwd}/package.json; ${hint}`);
  const registry = (where: string) =>
    new UsageError(
      `ci: ${where} takes labforge from the npm registry, where labforge is not published ` +
        `(anyone could claim the name); depend on labforge by a git or tarball spec, or ${hint}`,
    );
  for (const lockName of ['npm-shrinkwrap.json', 'package-lock.json']) {
    const lock = readJson(path.join(cwd, lockName));
    if (!lock) continue;
    const entry = (lock.packages as Record<string, { resolved?: string }> | undefined)?.['node_modules/labforge'];
    if (!entry) throw new UsageError(`ci: ${lockName} does not hold labforge yet; run npm install first`);
    if (entry.resolved && /^https?:\/\/registry\.(npmjs\.org|yarnpkg\.com)\//.test(entry.resolved))
      throw registry(`${lockName} (${entry.resolved})`);
    return { kind: 'lockfile' };
  }
  if (!offRegistry(dep)) throw registry(`package.json's "labforge": ${JSON.stringify(dep)}`);
  return { kind: 'package-json' };
}

/** --output: a file inside the current folder, every folder on the way a real folder (created when missing), the file
 *  itself absent or a regular file: never through a link, never a device or FIFO. */
export function checkOutput(cwd: string, output: string, create = false): string {
  checkCiValue('--output', output);
  const abs = path.resolve(cwd, output);
  const rel = path.relative(cwd, abs);
  if (output === '' || rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
    throw new UsageError(`ci --output: ${JSON.stringify(output)} is not a file inside the current folder`);
  let dir = cwd;
  for (const part of rel.split(path.sep).slice(0, -1)) {
    dir = path.join(dir, part);
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!st) {
      if (create) FileLayer.beside(dir).layer.mkdir(path.basename(dir));
      else break;
    } else if (!st.isDirectory())
      throw new UsageError(
        `ci --output: ${JSON.stringify(dir)} is not a folder (a link or a file); nothing was written`,
      );
  }
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (st && !st.isFile())
    throw new UsageError(
      `ci --output: ${JSON.stringify(output)} exists and is not a regular file (a link, folder, device or FIFO); nothing was written`,
    );
  return abs;
}

/** Why a lab may not fit the GitLab runner its tags name (no KVM there: TCG), for a warning; doctor decides in the job. */
export function gitlabFit(lab: Pick<Lab, 'name' | 'nodes' | 'host'>, tags: string[]): string | undefined {
  const tag = tags.find((t) => t in GITLAB_RUNNER_MEMORY_GIB);
  if (!tag) return undefined;
  const need = labMemoryMiB(lab, true);
  const usable = GITLAB_RUNNER_MEMORY_GIB[tag] * 1024 - 1024;
  if (need <= usable) return undefined;
  const larger = Object.entries(GITLAB_RUNNER_MEMORY_GIB).find(([, gib]) => gib * 1024 - 1024 >= need)?.[0];
  return (
    `lab ${lab.name} needs about ${need} MiB under TCG, more than the ${tag} runner's ${GITLAB_RUNNER_MEMORY_GIB[tag]} GB can give: ` +
    `labforge doctor will stop the job (exit code 3). Use a smaller lab${larger ? ` or --tags ${larger}` : ''}`
  );
}

export interface CiResult {
  text: string;
  /** The file written (with --output). */
  file?: string;
  labName: string;
  labFile: string;
  warnings: string[];
}

/** The CI file for `system`, from the lab the global options name, run from the repository's root (`cwd`). */
export function ciFile(system: string, cmd: CiCommand, cwd = process.cwd()): CiResult {
  if (system !== 'github' && system !== 'gitlab')
    throw new UsageError(`ci: "${system}" is not a CI system labforge writes for (github or gitlab)`);
  const output = cmd.output === undefined ? undefined : checkOutput(cwd, cmd.output);
  const { lab } = loadLabFile(cmd.lab, { outDir: cmd.out });
  const rel = (p: string) => path.relative(cwd, p).split(path.sep).join('/');
  const labFile = lab.source === '<defaults>' ? cmd.lab : rel(lab.source);
  if (labFile.startsWith('../') || path.isAbsolute(labFile) || rel(lab.outDir).startsWith('../'))
    throw new UsageError(
      `ci: the lab file ${JSON.stringify(cmd.lab)} and its output folder must be inside the current folder (run it from the repository's root)`,
    );
  const tags =
    cmd.tags === undefined
      ? undefined
      : cmd.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
  const o: CiOptions = {
    labFile,
    labName: lab.name,
    outDir: rel(lab.outDir),
    version: (JSON.parse(repoFile('package.json')) as { version: string }).version,
    install: resolveInstall(cwd, cmd.install),
    tags,
    image: cmd.image,
  };
  if (system === 'github' && (cmd.tags !== undefined || cmd.image !== undefined))
    throw new UsageError('ci github: --tags and --image are for gitlab (GitHub-hosted runners are chosen by runs-on)');
  const text = system === 'github' ? renderGithubWorkflow(o) : renderGitlabCi(o);
  const warnings: string[] = [];
  const fit = system === 'gitlab' ? gitlabFit(lab, tags ?? GITLAB_DEFAULT_TAGS) : undefined;
  if (fit) warnings.push(`ci gitlab: ${fit}`);
  if (output) atomicWrite(checkOutput(cwd, cmd.output!, true), text, 0o644);
  return { text, file: output, labName: lab.name, labFile, warnings };
}
