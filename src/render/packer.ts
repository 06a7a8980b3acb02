// The Packer recipe that bakes the lab's base box: a Fedora image, fixed up by the guest scripts, packed as a
// Vagrant libvirt box. The recipe is packer/templates/*.pkr.hcl.ejs, split by concern like chef/bento (plugins,
// variables, sources, build); this file computes the lab's values and escapes them. The answer files (kickstart
// or NoCloud seed) and the guest scripts go beside the recipe.
//
// The bake contract (what the bake lifecycle relies on) is PACKER_BAKE below.
import { pathToFileURL } from 'node:url';
import { imageOf, planLock } from '../lab/base-image.js';
import type { Lab } from '../lab/model.js';
import { LAYOUT } from '../layout.js';
import { bakeSshTimeout } from '../time-limits.js';
import { header, type RenderContext } from './context.js';
import { hcl } from './escape.js';
import { renderCloudInit, vagrantKeys } from './cloud-init.js';
import { renderKickstart } from './kickstart.js';
import { renderTemplate, repoFile } from './repo-files.js';

/** How to run the rendered recipe. All paths are relative to `dir` (relative to the lab's output directory). */
export const PACKER_BAKE = {
  /** The working directory of every packer command. */
  dir: LAYOUT.packer,
  /** Packer >= 1.7 only: `packer init <initFile>` first (Packer 1.6.6 has the plugins built in and no init). */
  initFile: 'plugins/plugins.pkr.hcl',
  /** The box the build writes. */
  box: 'box/labforge.box',
  /** Packer's output directory for the disk image; must not exist when a build starts. */
  outputDirectory: 'build',
  /** The build VM's serial console, for diagnosing a build that never gets ssh. */
  serialLog: 'serial.log',
} as const;

/** The guest scripts, in the order the build runs them. */
export const GUEST_SCRIPTS = {
  /** Before the reboot: each one changes the guest and checks its own result. */
  provision: [
    '10-update.sh',
    '20-firewalld.sh',
    '30-selinux.sh',
    '35-swap.sh',
    '40-guest-agent.sh',
    '45-serial-console.sh',
    '50-vagrant-user.sh',
  ],
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
  if (value.includes('{{'))
    throw new Error(`${what} contains "{{", which Packer would read as a template action: ${JSON.stringify(value)}`);
  return value;
}

/** What variables.pkr.hcl.ejs shows as this lab's defaults (unescaped: the template escapes each with str or hcl). */
interface Variables {
  imageUrl: string;
  imageChecksum: string;
  diskSize: string;
  cpus: number;
  memory: number;
  accelerator: 'kvm' | 'tcg';
  cpuModel: string;
  sshTimeout: string;
  update: boolean;
  swap: boolean;
  vagrantPublicKeys: string[];
  serialLog: string;
}

function variables(lab: Lab, ctx: RenderContext): Variables {
  const kvm = ctx.driver === 'kvm';
  // The image the lab file names, else the one lab.lock pins (the context carries it), else the catalogue's:
  // the plan of lab/base-image.ts, made when the lab was opened (here without a lock for a context that has none).
  const given = lab.image.local === undefined ? (ctx.baseImage ?? imageOf(planLock(lab, undefined))) : undefined;
  if (!given && lab.image.local === undefined)
    throw new Error(
      `no base image for Fedora ${lab.image.release} (${lab.image.method}): not in lab.lock nor in labforge's catalogue`,
    );
  let imageUrl = given?.url ?? '';
  let imageChecksum = given?.checksum ?? '';
  if (lab.image.local !== undefined) {
    if (lab.image.method !== 'cloud') throw new Error('image.local needs image.method "cloud"');
    const sha = ctx.localImageSha256;
    if (!sha || !/^[0-9a-f]{64}$/i.test(sha)) {
      throw new Error(
        `image.local is set but the render context has no sha256 of ${lab.image.local} (got ${JSON.stringify(sha)})`,
      );
    }
    // A proper file URL: spaces, '%', '#', '?' and '{' in the path are percent-encoded.
    imageUrl = pathToFileURL(lab.image.local).href;
    imageChecksum = `sha256:${sha.toLowerCase()}`;
  }
  return {
    imageUrl,
    imageChecksum,
    diskSize: `${lab.image.diskGiB * 1024}M`,
    cpus: lab.image.cpus,
    memory: lab.image.memoryMiB,
    accelerator: kvm ? 'kvm' : 'tcg',
    // qemu64 is what TCG emulates well; under KVM the host's CPU (newer kernels need more than qemu64).
    cpuModel: kvm ? 'host' : 'qemu64',
    sshTimeout: bakeSshTimeout(lab.image.method, ctx.driver),
    update: lab.image.update,
    swap: lab.image.swap,
    vagrantPublicKeys: vagrantKeys(ctx).map((k) => scriptEnvValue('a Vagrant public key', k)),
    serialLog: PACKER_BAKE.serialLog,
  };
}

function template(name: string, data: Record<string, unknown>): string {
  return renderTemplate(['packer', 'templates', `${name}.pkr.hcl.ejs`], data);
}

/** The Packer recipe for a lab: path relative to the lab's output directory (under PACKER_BAKE.dir) -> file text.
 *  Pure: the same lab, context and source give byte-identical files; it reads only the repo's own templates and
 *  guest scripts. */
export function renderPacker(lab: Lab, ctx: RenderContext, source: string): Record<string, string> {
  const cloud = lab.image.method === 'cloud';
  const common = { header: header('#', source), hcl, str, cloud };
  const recipe: Record<string, string> = {
    [PACKER_BAKE.initFile]: template('plugins', { ...common, initFile: PACKER_BAKE.initFile }),
    'variables.pkr.hcl': template('variables', { ...common, ...variables(lab, ctx) }),
    'sources.pkr.hcl': template('sources', { ...common, outputDirectory: PACKER_BAKE.outputDirectory }),
    'build.pkr.hcl': template('build', { ...common, scripts: GUEST_SCRIPTS, lib: GUEST_LIB, box: PACKER_BAKE.box }),
  };
  if (cloud) {
    const seed = renderCloudInit(ctx, source);
    recipe['cidata/user-data'] = seed.userData;
    recipe['cidata/meta-data'] = seed.metaData;
  } else {
    recipe['http/ks.cfg'] = renderKickstart(lab, ctx, source);
  }
  // The library too: the build uploads it from there before the first script.
  for (const name of [...guestScriptOrder(), GUEST_LIB.file]) {
    recipe[`scripts/${name}`] = repoFile('packer', 'scripts', name);
  }
  return Object.fromEntries(Object.entries(recipe).map(([file, text]) => [`${PACKER_BAKE.dir}/${file}`, text]));
}
