// Packer: version detection, init (Packer >= 1.7) and build of a rendered recipe folder.
import path from 'node:path';
import { userCacheDir } from './host.js';
import { run, type RunOptions } from './run.js';

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

export async function version(): Promise<Version> {
  const { stdout } = await run('packer', ['version'], { env: ENV });
  const v = parseVersion(stdout);
  if (!v) throw new Error(`cannot read packer's version from ${JSON.stringify(stdout.trim())}`);
  return v;
}

/** Plugins Packer >= 1.8 has installed (\`packer plugins installed\` prints their paths, which carry name and
 *  version), e.g. { qemu: "1.1.0" }; empty where the command does not exist. */
export async function installedPlugins(dir: string): Promise<Record<string, string>> {
  try {
    const { stdout } = await run('packer', ['plugins', 'installed'], { cwd: dir, env: ENV });
    const out: Record<string, string> = {};
    for (const m of stdout.matchAll(/packer-plugin-([a-z0-9-]+)_v(\d+\.\d+\.\d+)/g)) out[m[1]] = m[2];
    return out;
  } catch {
    return {};
  }
}

export async function init(dir: string, pluginsFile: string, opts: RunOptions = {}): Promise<void> {
  await run('packer', ['init', pluginsFile], { ...opts, cwd: dir, env: { ...ENV, ...opts.env } });
}

/** Builds the recipe in `dir` (its *.pkr.hcl files); -force replaces a half-finished build from an earlier run. */
export async function build(dir: string, vars: Record<string, string>, opts: RunOptions = {}): Promise<void> {
  await run('packer', ['build', '-force', '-color=false', ...varArgs(vars), '.'], {
    tailLines: 25,
    ...opts,
    cwd: dir,
    env: { ...ENV, ...opts.env },
  });
}
